-- The core tables' references are checked by the load, once per load and set-based
-- (include/sql/core/load_period.sql, the only writer of core), instead of by foreign-key triggers
-- row by row: those were 5.3 of the 9.2 s the two core INSERTs took at 200,000 rows, and 3.2 s of
-- the households step at 1,000,000 (benchmark, issue #7). What they guaranteed still holds: the
-- load raises and rolls back the whole period when a fact or version names a village that is not
-- in ref.desa, a fact names a file that is not in raw.submission_file, or a fact has no person
-- version; a household's village is taken from its facts. Nothing deletes from ref.desa or
-- raw.submission_file.
ALTER TABLE core.verifikasi DROP CONSTRAINT IF EXISTS verifikasi_person_version_id_fkey;
ALTER TABLE core.verifikasi DROP CONSTRAINT IF EXISTS verifikasi_kode_desa_fkey;
ALTER TABLE core.verifikasi DROP CONSTRAINT IF EXISTS verifikasi_file_id_fkey;
ALTER TABLE core.person_version DROP CONSTRAINT IF EXISTS person_version_kode_desa_fkey;
ALTER TABLE core.household DROP CONSTRAINT IF EXISTS household_kode_desa_fkey;
-- The same columns as the UNIQUE (nik, valid_from) constraint's own index: one index fewer to
-- write for every new version.
DROP INDEX IF EXISTS core.person_version_nik;
