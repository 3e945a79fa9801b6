-- People with history, households, and one verification fact per person per period.
--
-- core.verifikasi is what a village reported about a person in a period, including the person's
-- identity and address as observed then (attributes_hash). core.person_version is derived from
-- those observations: consecutive periods with the same attributes form one version (type-2:
-- a change of name, sex, birth date, household or address opens a new version; nothing is
-- overwritten). Deriving versions from the facts keeps history right whatever order periods are
-- loaded in (a late period, a backfill, a corrected resubmission).
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
    valid_from         date NOT NULL,        -- first day of the first period of this version
    valid_to           date,                 -- exclusive: first period of the next version; NULL = current
    attributes_hash    text NOT NULL,
    UNIQUE (nik, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE TABLE IF NOT EXISTS core.verifikasi (
    period              date NOT NULL,
    nik                 text NOT NULL,
    person_version_id   bigint REFERENCES core.person_version,  -- set in the same transaction as the load
    -- the person as observed in this period
    nama                text NOT NULL,
    jenis_kelamin       text NOT NULL,
    tanggal_lahir       date NOT NULL,
    no_kk               text NOT NULL,
    hubungan_keluarga   text,
    alamat              text NOT NULL,
    rt                  text,
    rw                  text,
    kode_desa           text NOT NULL REFERENCES ref.desa,
    attributes_hash     text NOT NULL,
    -- the verification
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
CREATE INDEX IF NOT EXISTS verifikasi_nik ON core.verifikasi (nik, period);
CREATE INDEX IF NOT EXISTS verifikasi_desa ON core.verifikasi (kode_desa, period);
CREATE INDEX IF NOT EXISTS person_version_nik ON core.person_version (nik, valid_from);
