-- Referral outcomes (issue 13): the agencies report back what became of each referral.
-- (Written as 0022 on the feature branch, renumbered 0031 so the order on main stays append-only.)
-- Return files have a registry of their own (raw.return_file), not a kind in raw.submission_file:
-- a return file belongs to a program and a reporting month, not to a village, its supersede rule
-- differs (many partial files a month all count; only a new version of the same file replaces
-- it), and the village registry's constraints, completeness views and counts stay as they are.

-- The outcome statuses, copied from verfak.outcomes by `python -m verfak migrate` (declared once).
CREATE TABLE IF NOT EXISTS ref.outcome_status (
    status         text PRIMARY KEY,
    label          text NOT NULL,
    allowed_first  boolean NOT NULL,          -- may be the first answer about a referral
    allowed_after  text[] NOT NULL,           -- statuses it may follow (a legal move)
    money          boolean NOT NULL,          -- nilai (rupiah) required
    category       text NOT NULL              -- funnel column
);

-- What each program accepts back, copied from include/programs.yaml by verfak.agency.sync_agencies.
CREATE TABLE IF NOT EXISTS publish.program_outcome (
    program        text PRIMARY KEY,
    agency         text NOT NULL,
    statuses       text[] NOT NULL,
    final          text[] NOT NULL,
    response_days  integer NOT NULL CHECK (response_days > 0)
);

-- Every return file found in <landing>/tindak_lanjut/<program>/<YYYY-MM>/, readable or not.
CREATE TABLE IF NOT EXISTS raw.return_file (
    file_id         bigserial PRIMARY KEY,
    sha256          text NOT NULL,
    path            text NOT NULL,            -- relative to the landing folder
    file_name       text NOT NULL,
    program         text,                     -- from the folder, NULL when it is not a program
    folder_program  text,                     -- the folder name as the agency wrote it
    period          text,                     -- YYYY-MM the agency reports in, NULL when not a month
    file_format     text NOT NULL,
    size_bytes      bigint NOT NULL,
    modified_at     timestamptz NOT NULL,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reject_code     text,
    reject_message  text,                     -- Indonesian, for the agency
    superseded_by   bigint REFERENCES raw.return_file, -- a later version of the same file (same path)
    read_details    jsonb NOT NULL DEFAULT '{}'::jsonb,
    rows_read       integer NOT NULL DEFAULT 0,
    rows_passed     integer NOT NULL DEFAULT 0,
    rows_rejected   integer NOT NULL DEFAULT 0,
    checked_at      timestamptz,              -- when the outcome gate last took it; NULL = waiting
    dag_run_id      text,
    UNIQUE NULLS NOT DISTINCT (sha256, period, folder_program),
    CHECK (rows_read = rows_passed + rows_rejected),
    CHECK (status = 'accepted' OR reject_code IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS return_file_program_period ON raw.return_file (program, period);

CREATE TABLE IF NOT EXISTS raw.return_path (
    path         text PRIMARY KEY,
    size_bytes   bigint NOT NULL,
    modified_at  timestamptz NOT NULL,
    sha256       text NOT NULL,
    file_id      bigint NOT NULL REFERENCES raw.return_file,
    seen_at      timestamptz NOT NULL DEFAULT now()
);

-- The rows of accepted return files, every cell as sent, with lineage.
CREATE TABLE IF NOT EXISTS raw.return_row (
    file_id               bigint NOT NULL REFERENCES raw.return_file ON DELETE CASCADE,
    source_row            integer NOT NULL,
    referral_id           text,
    nik                   text,
    nama                  text,
    nama_desa             text,
    status_tindak_lanjut  text,
    tanggal               text,
    nilai                 text,
    kegiatan              text,
    keterangan            text,
    extra                 jsonb,
    source_sheet          text,                 -- as raw.submission_row (0030): the sheet, NULL for a CSV
    sheet_row             integer,              -- the row number on that sheet, as the agency sees it
    PRIMARY KEY (file_id, source_row)
);

-- Every failed rule on every return row (stage intake or gate): the agency's feedback file.
CREATE TABLE IF NOT EXISTS quality.return_issue (
    file_id      bigint NOT NULL REFERENCES raw.return_file ON DELETE CASCADE,
    source_row   integer NOT NULL,
    stage        text NOT NULL CHECK (stage IN ('intake', 'gate')),
    rule_id      text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('error', 'warning')),
    column_name  text,
    value_sent   text,
    message      text NOT NULL,
    PRIMARY KEY (file_id, source_row, rule_id)
);

-- Every outcome as a dated event. Never updated: a referral's status is derived (referral_status).
-- The same fact (referral, status, date) reported twice is one event. No foreign key to
-- publish.referral: a corrected village period may drop a referral, its history stays.
CREATE TABLE IF NOT EXISTS publish.referral_outcome (
    outcome_id    bigserial PRIMARY KEY,
    referral_id   text NOT NULL,
    status        text NOT NULL REFERENCES ref.outcome_status,
    tanggal       date NOT NULL,
    nilai         bigint CHECK (nilai > 0),
    kegiatan      text,
    keterangan    text,
    koreksi       boolean NOT NULL DEFAULT false,
    source        text NOT NULL CHECK (source IN ('file', 'database')),
    file_id       bigint REFERENCES raw.return_file ON DELETE CASCADE,
    source_row    integer NOT NULL DEFAULT 0,
    reported_at   timestamptz NOT NULL,       -- the file's modification time, or when the function recorded it
    recorded_by   text NOT NULL DEFAULT session_user,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (referral_id, status, tanggal),
    CHECK ((source = 'file') = (file_id IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS referral_outcome_file ON publish.referral_outcome (file_id);

-- A referral's current status: its latest event (by date, then by when it was reported).
CREATE OR REPLACE VIEW publish.referral_status AS
SELECT DISTINCT ON (o.referral_id)
       r.referral_id, r.program, r.period, r.nik, r.first_export, o.status, o.tanggal, o.nilai, o.koreksi
  FROM publish.referral_outcome o
  JOIN publish.referral r ON r.referral_id = o.referral_id
 ORDER BY o.referral_id, o.tanggal DESC, o.reported_at DESC, o.source_row DESC, o.outcome_id DESC;

-- The checks of one outcome, one column per rule (named as the rule in verfak.rules.OUTCOME_RULES):
-- true = passes, false = fails, NULL = the rule does not apply. Used by the return-file gate (every
-- row, then Great Expectations on the result) and by publish.catat_tindak_lanjut, so both routes
-- apply the same rules. p_previous: the referral's status just before this one; p_repeated: the
-- same fact (status and date) was already reported.
CREATE OR REPLACE FUNCTION publish.outcome_checks(
    p_program text, p_referral_id text, p_nik text, p_status text, p_tanggal date, p_nilai bigint,
    p_keterangan text, p_previous text, p_repeated boolean, p_today date)
RETURNS TABLE (tl_referral_dikenal boolean, tl_referral_program boolean, tl_nik_sesuai boolean,
               tl_status_program boolean, tl_perpindahan_sah boolean, tl_tanggal_wajib boolean,
               tl_tanggal_setelah_rujukan boolean, tl_tanggal_tidak_di_masa_depan boolean,
               tl_nilai_wajib boolean, tl_nilai_positif boolean, koreksi boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.referral_id IS NOT NULL,
           CASE WHEN r.referral_id IS NOT NULL THEN r.program = p_program END,
           CASE WHEN r.program = p_program THEN coalesce(p_nik = r.nik, false) END,
           coalesce(p_status = ANY(po.statuses), false),
           CASE WHEN r.program = p_program AND p_status = ANY(po.statuses) AND p_tanggal IS NOT NULL THEN
               coalesce(p_keterangan ~* '^\s*koreksi\s*:', false) OR p_repeated
               OR (p_previous IS NULL AND s.allowed_first)
               OR coalesce(p_previous = ANY(s.allowed_after) AND NOT p_previous = ANY(po.final), false) END,
           p_tanggal IS NOT NULL,
           CASE WHEN p_tanggal IS NOT NULL AND r.program = p_program THEN p_tanggal >= r.first_export END,
           CASE WHEN p_tanggal IS NOT NULL THEN p_tanggal <= p_today END,
           CASE WHEN s.money THEN p_nilai IS NOT NULL END,
           CASE WHEN s.money AND p_nilai IS NOT NULL THEN p_nilai > 0 END,
           coalesce(p_keterangan ~* '^\s*koreksi\s*:', false)
      FROM (SELECT 1) one
      LEFT JOIN publish.referral r ON r.referral_id = p_referral_id
      LEFT JOIN publish.program_outcome po ON po.program = p_program
      LEFT JOIN ref.outcome_status s ON s.status = p_status
$$;

-- The database route: an agency records an outcome of one of its own program's referrals. Runs
-- with its owner's rights (the role has no write grant on any table), with a fixed search_path;
-- the caller must be the program's agency role (or a member of it). Raises with the rule's id and
-- Indonesian message when a check fails; recording the same fact again returns its id.
CREATE OR REPLACE FUNCTION publish.catat_tindak_lanjut(
    p_referral_id text, p_status text, p_tanggal date, p_nilai bigint DEFAULT NULL,
    p_kegiatan text DEFAULT NULL, p_keterangan text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_program text;
    v_nik text;
    v_previous text;
    v_repeated boolean;
    v_checks record;
    v_failed text;
    v_message text;
    v_id bigint;
BEGIN
    IF p_referral_id IS NULL OR length(p_referral_id) > 40 OR length(p_status) > 40
       OR length(p_kegiatan) > 200 OR length(p_keterangan) > 1000 OR p_nilai > 1000000000000 THEN
        RAISE EXCEPTION 'tl_masukan_tidak_sah: isian terlalu panjang atau kosong' USING ERRCODE = 'check_violation';
    END IF;
    SELECT r.program, r.nik INTO v_program, v_nik FROM publish.referral r WHERE r.referral_id = p_referral_id;
    -- another program's referral looks exactly like an unknown one: nothing leaks across agencies
    IF v_program IS NULL OR NOT pg_has_role(session_user, 'agency_' || v_program, 'MEMBER') THEN
        RAISE EXCEPTION 'tl_referral_dikenal: ID rujukan % tidak dikenal untuk program Anda', p_referral_id
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('verfak.outcome'), hashtext(p_referral_id));
    SELECT o.status INTO v_previous FROM publish.referral_outcome o
     WHERE o.referral_id = p_referral_id AND o.tanggal <= p_tanggal
     ORDER BY o.tanggal DESC, o.reported_at DESC, o.source_row DESC, o.outcome_id DESC LIMIT 1;
    SELECT o.outcome_id INTO v_id FROM publish.referral_outcome o
     WHERE o.referral_id = p_referral_id AND o.status = p_status AND o.tanggal = p_tanggal;
    v_repeated := v_id IS NOT NULL;
    SELECT * INTO v_checks FROM publish.outcome_checks(v_program, p_referral_id, v_nik, p_status, p_tanggal, p_nilai,
        p_keterangan, v_previous, v_repeated, (now() AT TIME ZONE 'Asia/Jakarta')::date);
    v_failed := CASE
        WHEN NOT v_checks.tl_status_program THEN 'tl_status_program'
        WHEN NOT v_checks.tl_tanggal_wajib THEN 'tl_tanggal_wajib'
        WHEN NOT v_checks.tl_perpindahan_sah THEN 'tl_perpindahan_sah'
        WHEN NOT v_checks.tl_tanggal_setelah_rujukan THEN 'tl_tanggal_setelah_rujukan'
        WHEN NOT v_checks.tl_tanggal_tidak_di_masa_depan THEN 'tl_tanggal_tidak_di_masa_depan'
        WHEN NOT v_checks.tl_nilai_wajib THEN 'tl_nilai_wajib'
        WHEN NOT v_checks.tl_nilai_positif THEN 'tl_nilai_positif' END;
    IF v_failed IS NOT NULL THEN
        SELECT q.message INTO v_message FROM quality.rule q WHERE q.rule_id = v_failed;
        RAISE EXCEPTION '%: %', v_failed, coalesce(v_message, 'isian tidak sah') USING ERRCODE = 'check_violation';
    END IF;
    IF v_repeated THEN
        RETURN v_id;
    END IF;
    INSERT INTO publish.referral_outcome (referral_id, status, tanggal, nilai, kegiatan, keterangan, koreksi,
                                          source, reported_at)
    VALUES (p_referral_id, p_status, p_tanggal, p_nilai, p_kegiatan, p_keterangan, v_checks.koreksi,
            'database', now())
    RETURNING outcome_id INTO v_id;
    RETURN v_id;
END $$;
REVOKE ALL ON FUNCTION publish.catat_tindak_lanjut(text, text, date, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION publish.outcome_checks(text, text, text, text, date, bigint, text, text, boolean, date) FROM PUBLIC;

-- Funnel per program, period, kecamatan and village, from each referral's current status.
CREATE OR REPLACE VIEW mart.referral_progress AS
SELECT r.referral_id, r.program, r.period, r.nik, r.first_export, c.kode_kecamatan, c.nama_kecamatan,
       c.kode_desa, c.nama_desa, s.status, st.category,
       first_answer.tanggal AS tanggal_jawaban_pertama, completed.tanggal AS tanggal_selesai
  FROM publish.referral r
  LEFT JOIN publish.referral_candidate c ON c.period = r.period AND c.nik = r.nik
  LEFT JOIN publish.referral_status s ON s.referral_id = r.referral_id
  LEFT JOIN ref.outcome_status st ON st.status = s.status
  LEFT JOIN LATERAL (SELECT min(o.tanggal) AS tanggal FROM publish.referral_outcome o
                      WHERE o.referral_id = r.referral_id) first_answer ON true
  LEFT JOIN LATERAL (SELECT min(o.tanggal) AS tanggal FROM publish.referral_outcome o
                       JOIN ref.outcome_status x ON x.status = o.status
                      WHERE o.referral_id = r.referral_id AND x.category IN ('selesai', 'dana')) completed ON true;

CREATE OR REPLACE VIEW mart.outcome_funnel AS
SELECT program, to_char(period, 'YYYY-MM') AS periode, period, kode_kecamatan, nama_kecamatan, kode_desa, nama_desa,
       count(*) AS dirujuk,
       count(status) AS dijawab,
       count(*) FILTER (WHERE category IN ('diterima', 'selesai', 'dana')) AS diterima,
       count(*) FILTER (WHERE category IN ('selesai', 'dana')) AS selesai,
       count(*) FILTER (WHERE category = 'dana') AS dana,
       count(*) FILTER (WHERE category = 'ditolak') AS ditolak,
       count(*) FILTER (WHERE category = 'tidak_dapat_dihubungi') AS tidak_dapat_dihubungi,
       count(*) FILTER (WHERE status IS NULL) AS belum_dijawab,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tanggal_jawaban_pertama - first_export) AS median_hari_jawaban,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tanggal_selesai - first_export) AS median_hari_selesai
  FROM mart.referral_progress
 GROUP BY program, period, kode_kecamatan, nama_kecamatan, kode_desa, nama_desa;

-- Per person, every program they were referred to and where they stand in it, in order.
CREATE OR REPLACE VIEW mart.person_program AS
SELECT nik, count(*) AS programs,
       string_agg(program || ':' || coalesce(status, 'belum_dijawab'), ' > ' ORDER BY first_export, program) AS jalur,
       array_agg(program ORDER BY first_export, program) AS program_list
  FROM mart.referral_progress
 GROUP BY nik;

-- Referrals an agency has not answered within its program's response_days.
CREATE OR REPLACE VIEW mart.referral_unanswered AS
SELECT p.program, p.agency, p.response_days, count(*) AS belum_dijawab,
       min(r.first_export) AS rujukan_tertua
  FROM publish.referral r
  JOIN publish.program_outcome p ON p.program = r.program
 WHERE NOT EXISTS (SELECT 1 FROM publish.referral_outcome o WHERE o.referral_id = r.referral_id)
   AND r.first_export + p.response_days < (now() AT TIME ZONE 'Asia/Jakarta')::date
 GROUP BY p.program, p.agency, p.response_days;

ALTER TABLE ops.alert DROP CONSTRAINT IF EXISTS alert_kind_check;
ALTER TABLE ops.alert ADD CONSTRAINT alert_kind_check
    CHECK (kind IN ('task_failed', 'deadline_missed', 'referral_unanswered'));
