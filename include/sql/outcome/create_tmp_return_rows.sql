-- The typed return rows the gate checks, for this transaction.
CREATE TEMP TABLE tmp_return_rows (file_id bigint, source_row integer, program text, referral_id text,
    nik text, status text, tanggal date, nilai bigint, kegiatan text, keterangan text,
    reported_at timestamptz, in_sequence boolean NOT NULL DEFAULT true) ON COMMIT DROP
