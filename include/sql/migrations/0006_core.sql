-- People with history (type-2: a change of identity, address or household opens a new version),
-- households, and one verification fact per person per period.
CREATE TABLE IF NOT EXISTS core.household (
    no_kk          text PRIMARY KEY,
    kode_desa      text NOT NULL REFERENCES ref.desa,
    first_period   date NOT NULL,
    last_period    date NOT NULL
);

CREATE TABLE IF NOT EXISTS core.person_version (
    person_version_id  bigserial PRIMARY KEY,
    nik                text NOT NULL,
    nama               text NOT NULL,
    jenis_kelamin      text NOT NULL,
    tanggal_lahir      date NOT NULL,
    no_kk              text NOT NULL,
    hubungan_keluarga  text,
    alamat             text NOT NULL,
    rt                 text,
    rw                 text,
    kode_desa          text NOT NULL REFERENCES ref.desa,
    valid_from         date NOT NULL,        -- first day of the period the version was first seen
    valid_to           date,                 -- exclusive; NULL = still valid
    attributes_hash    text NOT NULL,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX IF NOT EXISTS person_version_nik_from ON core.person_version (nik, valid_from);
CREATE UNIQUE INDEX IF NOT EXISTS person_version_current ON core.person_version (nik) WHERE valid_to IS NULL;

CREATE TABLE IF NOT EXISTS core.verifikasi (
    period              date NOT NULL,
    nik                 text NOT NULL,
    person_version_id   bigint NOT NULL REFERENCES core.person_version,
    no_kk               text NOT NULL,
    kode_desa           text NOT NULL REFERENCES ref.desa,
    status_verifikasi   text NOT NULL CHECK (status_verifikasi IN ('layak', 'tidak_layak', 'meninggal', 'pindah', 'tidak_ditemukan')),
    alasan              text,
    desil               integer,
    pekerjaan           text,
    pendidikan          text,
    pendapatan_bulanan  bigint,
    minat_pelatihan     text[],
    memiliki_usaha      boolean,
    minat_usaha         text,
    no_hp               text,
    tanggal_verifikasi  date NOT NULL,
    petugas             text NOT NULL,
    has_warning         boolean NOT NULL,
    file_id             bigint NOT NULL REFERENCES raw.submission_file,
    source_row          integer NOT NULL,
    PRIMARY KEY (period, nik)
);
CREATE INDEX IF NOT EXISTS verifikasi_desa ON core.verifikasi (kode_desa, period);
