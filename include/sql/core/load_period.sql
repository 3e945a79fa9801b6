-- Load the villages of a batch (%(villages)s: the villages whose file changed and those sharing a
-- NIK with them) of one period into core from staging (rows without an error). Runs in the same
-- transaction as the staging and quality writes, so a batch is either fully loaded or not at all;
-- rerunning it with the same staging leaves core exactly as it was (same rows, same ids). A batch
-- of every village is the whole period.
--   1. the version history of every person the batch touches, rederived from their facts;
--   2. the batch villages' facts of the period, replaced and written once with their version;
--   3. households of the people and family cards the batch touches.
-- A NIK is in core in at most one village per period (a NIK sent by two villages fails
-- nik_ganda_antar_desa in both, and a village sharing a NIK with the batch is in the batch), so the
-- batch's people have no fact of this period outside the batch's villages.

-- A period's load hashes and sorts up to a million rows: give this one transaction the memory for
-- it (the server default of 4 MB spilled the joins to disk in 16 batches at 1,000,000 rows).
SET LOCAL work_mem = '128MB';

-- People whose history this load can change: in the batch's villages now, or before this load.
CREATE TEMP TABLE affected_nik ON COMMIT DROP AS
SELECT nik FROM staging.verifikasi WHERE period = %(period)s AND kode_desa = ANY(%(villages)s) AND NOT has_error
UNION
SELECT nik FROM core.verifikasi WHERE period = %(period)s AND kode_desa = ANY(%(villages)s);
ANALYZE affected_nik;

-- Family cards whose household this load can change: of the batch villages' facts before this load
-- (rebuilt after them) and of the facts it writes (below, from period_fact).
CREATE TEMP TABLE affected_kk ON COMMIT DROP AS
SELECT no_kk FROM core.verifikasi WHERE period = %(period)s AND kode_desa = ANY(%(villages)s);

-- The period's facts as they will be stored (the version id is added when they are written).
-- A file speaks only for its folder's village: the village is the folder's (s.kode_desa), never the
-- one the row names (kode_desa_baris; the gate's rule kode_desa_sesuai_folder keeps a row naming
-- another village out, so for a loaded row the two are the same).
CREATE TEMP TABLE period_fact ON COMMIT DROP AS
SELECT s.period, s.nik, s.nama, s.jenis_kelamin, s.tanggal_lahir, s.no_kk, s.hubungan_keluarga, s.alamat, s.rt, s.rw,
       s.kode_desa,
       md5(ROW(s.nama, s.jenis_kelamin, s.tanggal_lahir, s.no_kk, s.hubungan_keluarga, s.alamat, s.rt, s.rw,
               s.kode_desa)::text) AS attributes_hash,
       s.status_verifikasi, s.alasan, s.desil, s.pekerjaan, s.pendidikan, s.pendapatan_bulanan,
       string_to_array(s.minat_pelatihan, ';') AS minat_pelatihan,
       CASE s.memiliki_usaha WHEN 'ya' THEN true WHEN 'tidak' THEN false END AS memiliki_usaha,
       s.minat_usaha, s.no_hp, s.tanggal_verifikasi, s.petugas, s.has_warning, s.file_id, s.source_row
  FROM staging.verifikasi s
 WHERE s.period = %(period)s AND s.kode_desa = ANY(%(villages)s) AND NOT s.has_error;

INSERT INTO affected_kk SELECT DISTINCT no_kk FROM period_fact;
ANALYZE affected_kk;

-- The versions the facts call for: islands of consecutive observations with the same attributes,
-- over the affected people's facts of the other periods and this period's new facts. A version
-- that exists already (same person, same first period) keeps its id; a new one draws the next id
-- here, in (nik, valid_from) order, so the facts can be written with it without looking it up.
CREATE TEMP TABLE desired_version ON COMMIT DROP AS
WITH facts AS (
    SELECT nik, period, nama, jenis_kelamin, tanggal_lahir, no_kk, hubungan_keluarga, alamat, rt, rw, kode_desa,
           attributes_hash
      FROM core.verifikasi
     WHERE nik IN (SELECT nik FROM affected_nik)
       AND NOT (period = %(period)s AND kode_desa = ANY(%(villages)s))
    UNION ALL
    SELECT nik, period, nama, jenis_kelamin, tanggal_lahir, no_kk, hubungan_keluarga, alamat, rt, rw, kode_desa,
           attributes_hash
      FROM period_fact
), observed AS (  -- a version starts where the attributes differ from the person's previous fact
    SELECT f.*, attributes_hash IS DISTINCT FROM lag(attributes_hash) OVER w AS starts_version
      FROM facts f
    WINDOW w AS (PARTITION BY nik ORDER BY period)
), ranged AS (  -- each version's first fact, valid until the next version's first period
    SELECT nik, nama, jenis_kelamin, tanggal_lahir, no_kk, hubungan_keluarga, alamat, rt, rw, kode_desa,
           period AS valid_from,
           lead(period) OVER (PARTITION BY nik ORDER BY period) AS valid_to,
           attributes_hash
      FROM observed
     WHERE starts_version
)
SELECT d.*, v.person_version_id AS existing_id,
       coalesce(v.person_version_id, nextval('core.person_version_person_version_id_seq'::regclass))
           AS person_version_id
  FROM ranged d
  LEFT JOIN core.person_version v ON v.nik = d.nik AND v.valid_from = d.valid_from
 ORDER BY d.nik, d.valid_from;

-- Temp tables have no statistics until analysed: without them the planner picks nested loops
-- that are quadratic in a large period.
CREATE INDEX ON desired_version (nik, valid_from);
ANALYZE desired_version;

-- What the versions replace goes first, so that a first load (nothing to replace) pays nothing for
-- it: the affected people's versions that are no longer called for, and the batch villages' facts.
DELETE FROM core.person_version v
 WHERE v.nik IN (SELECT nik FROM affected_nik)
   AND NOT EXISTS (SELECT 1 FROM desired_version d WHERE d.existing_id = v.person_version_id);

DELETE FROM core.verifikasi WHERE period = %(period)s AND kode_desa = ANY(%(villages)s);

UPDATE core.person_version v
   SET nama = d.nama, jenis_kelamin = d.jenis_kelamin, tanggal_lahir = d.tanggal_lahir, no_kk = d.no_kk,
       hubungan_keluarga = d.hubungan_keluarga, alamat = d.alamat, rt = d.rt, rw = d.rw, kode_desa = d.kode_desa,
       valid_to = d.valid_to, attributes_hash = d.attributes_hash
  FROM desired_version d
 WHERE v.person_version_id = d.existing_id
   AND (v.attributes_hash, v.valid_to) IS DISTINCT FROM (d.attributes_hash, d.valid_to);

INSERT INTO core.person_version (person_version_id, nik, nama, jenis_kelamin, tanggal_lahir, no_kk,
                                 hubungan_keluarga, alamat, rt, rw, kode_desa, valid_from, valid_to, attributes_hash)
SELECT d.person_version_id, d.nik, d.nama, d.jenis_kelamin, d.tanggal_lahir, d.no_kk, d.hubungan_keluarga, d.alamat,
       d.rt, d.rw, d.kode_desa, d.valid_from, d.valid_to, d.attributes_hash
  FROM desired_version d
 WHERE d.existing_id IS NULL
 ORDER BY d.nik, d.valid_from;

-- Point the affected people's facts of the other periods at their version where it changed
-- (through the desired ranges: the old ones may still overlap).
UPDATE core.verifikasi f
   SET person_version_id = d.person_version_id
  FROM desired_version d
 WHERE f.nik = d.nik AND d.valid_from <= f.period AND (d.valid_to IS NULL OR d.valid_to > f.period)
   AND f.person_version_id IS DISTINCT FROM d.person_version_id;

-- The batch villages' facts, written once with their version, in NIK order (the primary key and
-- the per-person index then grow at one end instead of all over); counted for the check below.
CREATE TEMP TABLE written_fact (n bigint) ON COMMIT DROP;
WITH written AS (
    INSERT INTO core.verifikasi (period, nik, person_version_id, nama, jenis_kelamin, tanggal_lahir, no_kk,
                                 hubungan_keluarga, alamat, rt, rw, kode_desa, attributes_hash, status_verifikasi,
                                 alasan, desil, pekerjaan, pendidikan, pendapatan_bulanan, minat_pelatihan,
                                 memiliki_usaha, minat_usaha, no_hp, tanggal_verifikasi, petugas, has_warning,
                                 file_id, source_row)
    SELECT f.period, f.nik, d.person_version_id, f.nama, f.jenis_kelamin, f.tanggal_lahir, f.no_kk,
           f.hubungan_keluarga, f.alamat, f.rt, f.rw, f.kode_desa, f.attributes_hash, f.status_verifikasi, f.alasan,
           f.desil, f.pekerjaan, f.pendidikan, f.pendapatan_bulanan, f.minat_pelatihan, f.memiliki_usaha,
           f.minat_usaha, f.no_hp, f.tanggal_verifikasi, f.petugas, f.has_warning, f.file_id, f.source_row
      FROM period_fact f
      JOIN desired_version d
        ON d.nik = f.nik AND d.valid_from <= f.period AND (d.valid_to IS NULL OR d.valid_to > f.period)
     ORDER BY f.nik
    RETURNING 1
)
INSERT INTO written_fact SELECT count(*) FROM written;

-- Referential integrity of what this load wrote, checked set-based (no foreign-key triggers on
-- core: migration 0013). Any failure rolls back the whole batch. The batch's facts take their
-- version from the join above, so each of them is written with one exactly when the count matches.
DO $$
DECLARE
    c record;
BEGIN
    SELECT (SELECT count(*) FROM (SELECT DISTINCT kode_desa FROM period_fact) f
             WHERE NOT EXISTS (SELECT 1 FROM ref.desa d WHERE d.kode_desa = f.kode_desa)) AS fact_unknown_village,
           (SELECT count(*) FROM (SELECT DISTINCT file_id FROM period_fact) f
             WHERE NOT EXISTS (SELECT 1 FROM raw.submission_file s WHERE s.file_id = f.file_id)) AS fact_unknown_file,
           (SELECT count(*) FROM (SELECT DISTINCT kode_desa FROM desired_version) v
             WHERE NOT EXISTS (SELECT 1 FROM ref.desa d WHERE d.kode_desa = v.kode_desa)) AS version_unknown_village,
           (SELECT count(*) FROM period_fact) - (SELECT n FROM written_fact) AS fact_without_range,
           (SELECT count(*) FROM core.verifikasi f
             WHERE f.nik IN (SELECT nik FROM affected_nik)
               AND NOT (f.period = %(period)s AND f.kode_desa = ANY(%(villages)s))
               AND NOT EXISTS (SELECT 1 FROM core.person_version v WHERE v.person_version_id = f.person_version_id))
               AS fact_without_version
      INTO c;
    IF c.fact_unknown_village + c.fact_unknown_file + c.version_unknown_village + c.fact_without_range
       + c.fact_without_version > 0 THEN
        RAISE EXCEPTION 'core load: integrity check failed (unknown villages of the facts: %%, unknown files of the '
                        'facts: %%, unknown villages of the versions: %%, facts of the batch without a version: %%, '
                        'facts of other periods without a version: %%)',
                        c.fact_unknown_village, c.fact_unknown_file, c.version_unknown_village,
                        c.fact_without_range, c.fact_without_version;
    END IF;
END $$;

-- Households: the village of the latest period a household was seen in, for the family cards of
-- the batch's facts (before and after this load) and of the affected people's other facts.
INSERT INTO affected_kk
SELECT no_kk FROM core.verifikasi
 WHERE nik IN (SELECT nik FROM affected_nik) AND NOT (period = %(period)s AND kode_desa = ANY(%(villages)s));
CREATE TEMP TABLE touched_kk ON COMMIT DROP AS SELECT DISTINCT no_kk FROM affected_kk;
ANALYZE touched_kk;
DELETE FROM core.household h
 WHERE h.no_kk IN (SELECT no_kk FROM touched_kk)
   AND NOT EXISTS (SELECT 1 FROM core.verifikasi f WHERE f.no_kk = h.no_kk);
INSERT INTO core.household (no_kk, kode_desa, first_period, last_period)
SELECT DISTINCT ON (f.no_kk) f.no_kk, f.kode_desa, min(f.period) OVER k, max(f.period) OVER k
  FROM core.verifikasi f
 WHERE f.no_kk IN (SELECT no_kk FROM touched_kk)
WINDOW k AS (PARTITION BY f.no_kk)
 ORDER BY f.no_kk, f.period DESC, f.kode_desa
ON CONFLICT (no_kk) DO UPDATE
   SET kode_desa = EXCLUDED.kode_desa, first_period = EXCLUDED.first_period, last_period = EXCLUDED.last_period
 WHERE (core.household.kode_desa, core.household.first_period, core.household.last_period)
       IS DISTINCT FROM (EXCLUDED.kode_desa, EXCLUDED.first_period, EXCLUDED.last_period);

UPDATE raw.submission_file
   SET loaded_at = now()
 WHERE file_id = ANY(%(loaded_files)s) AND loaded_at IS NULL;
