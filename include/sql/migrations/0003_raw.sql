-- Every file that reached the landing zone, readable or not, registered once by its SHA-256.
CREATE TABLE IF NOT EXISTS raw.submission_file (
    file_id         bigserial PRIMARY KEY,
    sha256          text NOT NULL,
    path            text NOT NULL,            -- relative to the landing folder
    file_name       text NOT NULL,
    period          text,                     -- YYYY-MM from the folder, NULL when the folder is not a period
    kode_desa       text REFERENCES ref.desa, -- from the folder, NULL when it is not a Bekasi village
    folder_desa     text,                     -- the folder name as the village wrote it
    file_format     text NOT NULL,            -- csv, xlsx, unknown
    size_bytes      bigint NOT NULL,
    modified_at     timestamptz NOT NULL,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reject_code     text,
    reject_message  text,                     -- Indonesian, for the village
    superseded_by   bigint REFERENCES raw.submission_file, -- a later file of the same village and period
    read_details    jsonb NOT NULL DEFAULT '{}'::jsonb,    -- encoding, delimiter, sheet, header row, header map
    rows_read       integer NOT NULL DEFAULT 0,
    rows_passed     integer NOT NULL DEFAULT 0,  -- rows_read = rows_passed + rows_rejected
    rows_rejected   integer NOT NULL DEFAULT 0,
    loaded_at       timestamptz,              -- when validate-and-load last took it; NULL = waiting
    dag_run_id      text,
    -- registered once per content, period and village folder (a file dropped again is skipped)
    UNIQUE NULLS NOT DISTINCT (sha256, period, folder_desa),
    CHECK (rows_read = rows_passed + rows_rejected),
    CHECK (status = 'accepted' OR reject_code IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS submission_file_period_desa ON raw.submission_file (period, kode_desa);

-- The data rows of accepted files, every cell as the text that was sent (lossless), with lineage.
CREATE TABLE IF NOT EXISTS raw.submission_row (
    file_id             bigint NOT NULL REFERENCES raw.submission_file ON DELETE CASCADE,
    source_row          integer NOT NULL,     -- the row number the village sees in its spreadsheet
    nik                 text,
    no_kk               text,
    nama                text,
    jenis_kelamin       text,
    tanggal_lahir       text,
    hubungan_keluarga   text,
    alamat              text,
    rt                  text,
    rw                  text,
    kode_desa           text,
    status_verifikasi   text,
    alasan              text,
    desil               text,
    pekerjaan           text,
    pendidikan          text,
    pendapatan_bulanan  text,
    minat_pelatihan     text,
    memiliki_usaha      text,
    minat_usaha         text,
    no_hp               text,
    tanggal_verifikasi  text,
    petugas             text,
    extra               jsonb,                -- columns the contract does not know, kept as sent
    PRIMARY KEY (file_id, source_row)
);

-- Every path seen in the landing zone and the file (by content) it held when last seen, so the
-- next ingest only checksums what is new or changed, and a copy of a known file is skipped quietly.
CREATE TABLE IF NOT EXISTS raw.landing_path (
    path         text PRIMARY KEY,
    size_bytes   bigint NOT NULL,
    modified_at  timestamptz NOT NULL,
    sha256       text NOT NULL,
    file_id      bigint NOT NULL REFERENCES raw.submission_file,
    seen_at      timestamptz NOT NULL DEFAULT now()
);
