-- Kemendagri regions of Kabupaten Bekasi (loaded from include/reference/ by `python -m verfak migrate`).
CREATE TABLE IF NOT EXISTS ref.kecamatan (
    kode_kecamatan  text PRIMARY KEY CHECK (kode_kecamatan ~ '^32\.16\.\d{2}$'),
    nama_kecamatan  text NOT NULL
);

CREATE TABLE IF NOT EXISTS ref.desa (
    kode_desa       text PRIMARY KEY CHECK (kode_desa ~ '^32\.16\.\d{2}\.\d{4}$'),
    kode_desa_plain text NOT NULL UNIQUE,
    kode_kecamatan  text NOT NULL REFERENCES ref.kecamatan,
    nama_desa       text NOT NULL,
    jenis           text NOT NULL CHECK (jenis IN ('desa', 'kelurahan')),
    kode_desa_bps   text
);
