-- The outcomes that passed the gate, for this transaction.
CREATE TEMP TABLE tmp_return_event (referral_id text, status text, tanggal date, nilai bigint,
    kegiatan text, keterangan text, koreksi boolean, file_id bigint, source_row integer,
    reported_at timestamptz) ON COMMIT DROP
