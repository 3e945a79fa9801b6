-- Load one period into core from staging (rows without an error). Runs in one transaction with
-- the staging and quality writes, so a period is either fully loaded or not at all; rerunning it
-- with the same staging leaves core exactly as it was.
--   1. people: type-2 history (a version per change of identity, address or household);
--   2. the period's verification facts, replaced as a whole;
--   3. households.

CREATE TEMP TABLE period_person ON COMMIT DROP AS
SELECT DISTINCT ON (s.nik)
       s.nik, s.nama, s.jenis_kelamin, s.tanggal_lahir, s.no_kk, s.hubungan_keluarga, s.alamat, s.rt, s.rw,
       s.kode_desa_baris AS kode_desa,
       md5(ROW(s.nama, s.jenis_kelamin, s.tanggal_lahir, s.no_kk, s.hubungan_keluarga, s.alamat, s.rt, s.rw,
               s.kode_desa_baris)::text) AS attributes_hash
  FROM staging.verifikasi s
 WHERE s.period = %(period)s AND NOT s.has_error
 ORDER BY s.nik, s.file_id, s.source_row;

-- The version of each person that is valid in this period, if any.
CREATE TEMP TABLE period_version ON COMMIT DROP AS
SELECT p.*, v.person_version_id, v.valid_from, v.valid_to, v.attributes_hash AS version_hash
  FROM period_person p
  LEFT JOIN core.person_version v
    ON v.nik = p.nik AND v.valid_from <= %(period)s AND (v.valid_to IS NULL OR v.valid_to > %(period)s);

-- A version opened by this same period (an earlier run of it): a corrected resubmission updates it.
UPDATE core.person_version v
   SET nama = pv.nama, jenis_kelamin = pv.jenis_kelamin, tanggal_lahir = pv.tanggal_lahir, no_kk = pv.no_kk,
       hubungan_keluarga = pv.hubungan_keluarga, alamat = pv.alamat, rt = pv.rt, rw = pv.rw,
       kode_desa = pv.kode_desa, attributes_hash = pv.attributes_hash
  FROM period_version pv
 WHERE v.person_version_id = pv.person_version_id
   AND pv.valid_from = %(period)s AND pv.version_hash <> pv.attributes_hash;

-- A change since an earlier period closes the old version at this period ...
UPDATE core.person_version v
   SET valid_to = %(period)s
  FROM period_version pv
 WHERE v.person_version_id = pv.person_version_id
   AND pv.valid_from < %(period)s AND pv.version_hash <> pv.attributes_hash;

-- ... and opens a new one, as does a person seen for the first time (valid until the next version
-- already known, when an older period is loaded late).
INSERT INTO core.person_version (nik, nama, jenis_kelamin, tanggal_lahir, no_kk, hubungan_keluarga, alamat, rt, rw,
                                 kode_desa, valid_from, valid_to, attributes_hash)
SELECT pv.nik, pv.nama, pv.jenis_kelamin, pv.tanggal_lahir, pv.no_kk, pv.hubungan_keluarga, pv.alamat, pv.rt, pv.rw,
       pv.kode_desa, %(period)s,
       CASE WHEN pv.person_version_id IS NOT NULL THEN pv.valid_to
            ELSE (SELECT min(n.valid_from) FROM core.person_version n
                   WHERE n.nik = pv.nik AND n.valid_from > %(period)s) END,
       pv.attributes_hash
  FROM period_version pv
 WHERE pv.person_version_id IS NULL
    OR (pv.valid_from < %(period)s AND pv.version_hash <> pv.attributes_hash);

DELETE FROM core.verifikasi WHERE period = %(period)s;

INSERT INTO core.verifikasi (period, nik, person_version_id, no_kk, kode_desa, status_verifikasi, alasan, desil,
                             pekerjaan, pendidikan, pendapatan_bulanan, minat_pelatihan, memiliki_usaha, minat_usaha,
                             no_hp, tanggal_verifikasi, petugas, has_warning, file_id, source_row)
SELECT s.period, s.nik, v.person_version_id, s.no_kk, s.kode_desa_baris, s.status_verifikasi, s.alasan, s.desil,
       s.pekerjaan, s.pendidikan, s.pendapatan_bulanan,
       string_to_array(s.minat_pelatihan, ';'),
       CASE s.memiliki_usaha WHEN 'ya' THEN true WHEN 'tidak' THEN false END,
       s.minat_usaha, s.no_hp, s.tanggal_verifikasi, s.petugas, s.has_warning, s.file_id, s.source_row
  FROM staging.verifikasi s
  JOIN core.person_version v
    ON v.nik = s.nik AND v.valid_from <= s.period AND (v.valid_to IS NULL OR v.valid_to > s.period)
 WHERE s.period = %(period)s AND NOT s.has_error;

INSERT INTO core.household (no_kk, kode_desa, first_period, last_period)
SELECT no_kk, min(kode_desa), %(period)s, %(period)s
  FROM core.verifikasi
 WHERE period = %(period)s
 GROUP BY no_kk
ON CONFLICT (no_kk) DO UPDATE
   SET first_period = least(core.household.first_period, EXCLUDED.first_period),
       last_period  = greatest(core.household.last_period, EXCLUDED.last_period),
       kode_desa    = CASE WHEN EXCLUDED.last_period >= core.household.last_period
                           THEN EXCLUDED.kode_desa ELSE core.household.kode_desa END
 WHERE (core.household.first_period, core.household.last_period, core.household.kode_desa)
       IS DISTINCT FROM
       (least(core.household.first_period, EXCLUDED.first_period),
        greatest(core.household.last_period, EXCLUDED.last_period),
        CASE WHEN EXCLUDED.last_period >= core.household.last_period
             THEN EXCLUDED.kode_desa ELSE core.household.kode_desa END);

UPDATE raw.submission_file
   SET loaded_at = now()
 WHERE period = to_char(%(period)s::date, 'YYYY-MM') AND status = 'accepted' AND loaded_at IS NULL;
