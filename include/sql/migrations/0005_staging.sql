-- Typed rows of the period being validated: rebuilt per period by validate-and-load.
CREATE TABLE IF NOT EXISTS staging.verifikasi (
    file_id             bigint NOT NULL,
    source_row          integer NOT NULL,
    period              date NOT NULL,        -- first day of the period
    kode_desa           text NOT NULL,        -- the village of the folder (the submission's village)
    nik                 text,
    no_kk               text,
    nama                text,
    jenis_kelamin       text,
    tanggal_lahir       date,
    hubungan_keluarga   text,
    alamat              text,
    rt                  text,
    rw                  text,
    kode_desa_baris     text,                 -- the row's own kode_desa column, normalised
    status_verifikasi   text,
    alasan              text,
    desil               integer,
    pekerjaan           text,
    pendidikan          text,
    pendapatan_bulanan  bigint,
    minat_pelatihan     text,                 -- ';'-separated, as sent (lower case)
    memiliki_usaha      text,                 -- 'ya' / 'tidak' (anything else is flagged)
    minat_usaha         text,
    no_hp               text,
    tanggal_verifikasi  date,
    petugas             text,
    has_error           boolean NOT NULL DEFAULT false,
    has_warning         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (file_id, source_row)
);
CREATE INDEX IF NOT EXISTS staging_verifikasi_period ON staging.verifikasi (period);
