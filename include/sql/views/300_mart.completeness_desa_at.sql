-- Completeness and timeliness of the villages' monthly submissions, in the spirit of DHIS2's
-- reporting rates: per period every one of the 187 villages of ref.desa is expected to submit.
--
--   received  the village sent at least one file for the period (accepted or rejected) that is
--             registered in raw.submission_file
--   on_time   its first file was received on or before the cut-off day of the period's month
--             (Asia/Jakarta), i.e. before 00:00 WIB of the next day
--   late      received, but only after the cut-off
--   missing   nothing received (while the period is still open, before its cut-off, this only
--             means "not yet")
--
-- When a file was received: the earlier of modified_at (the file's modification time, which the
-- delivery keeps) and registered_at (when ingest first saw it). registered_at alone would make
-- every village late whenever Airflow was down over the cut-off day or a period is backfilled
-- from an archive; a file can't have arrived after Dinsos registered it, so registered_at caps a
-- modification time from the future. See docs/operations.md, "Completeness".
--
-- The cut-off day is a parameter. The views mart.completeness_desa, _kecamatan and _kabupaten
-- (the next files) read it from the setting verfak.cutoff_day
-- (the report and the Airflow page set it from VERFAK_CUTOFF_DAY; default 17); psql users get
-- the same numbers after  ALTER DATABASE <warehouse> SET verfak.cutoff_day = <day>.
-- Plain views (no refresh needed): 187 villages x the periods seen is small.
CREATE OR REPLACE FUNCTION mart.completeness_desa_at(cutoff_day integer DEFAULT 17)
RETURNS TABLE (
    period             date,
    periode            text,
    cutoff_at          timestamptz,
    period_closed      boolean,       -- the cut-off has passed
    kode_kecamatan     text,
    nama_kecamatan     text,
    kode_desa          text,
    nama_desa          text,
    received           boolean,
    on_time            boolean,
    late               boolean,
    missing            boolean,
    accepted           boolean,       -- at least one file of the period was readable
    files              integer,       -- files received (accepted and rejected, superseded ones too)
    files_rejected     integer,
    first_received_at  timestamptz,
    last_received_at   timestamptz,
    rows_read          integer,       -- rows of the current (latest accepted) file
    rows_error         integer        -- of those, rows with at least one error-level issue
)
LANGUAGE sql STABLE AS $$
    WITH submitted AS (
        SELECT to_date(f.periode, 'YYYY-MM') AS period, f.kode_desa, f.status,
               least(f.modified_at, f.registered_at) AS received_at
          FROM raw.submission_file f
         WHERE f.periode IS NOT NULL AND f.kode_desa IS NOT NULL
    ), periods AS (
        -- every period seen, and the months between the first one and now that nobody submitted for
        SELECT DISTINCT period FROM submitted
        UNION
        SELECT generate_series(min(period),
                               least(max(period), date_trunc('month', now() AT TIME ZONE 'Asia/Jakarta')::date),
                               interval '1 month')::date
          FROM submitted
    ), cutoffs AS (
        SELECT p.period,
               ((p.period + (least(greatest(cutoff_day, 1),
                                   extract(day FROM p.period + interval '1 month' - interval '1 day')::integer)
                             ) * interval '1 day')::timestamp AT TIME ZONE 'Asia/Jakarta') AS cutoff_at
          FROM periods p
         WHERE p.period IS NOT NULL
    ), per_desa AS (
        SELECT s.period, s.kode_desa,
               count(*)::integer AS files,
               (count(*) FILTER (WHERE s.status = 'rejected'))::integer AS files_rejected,
               bool_or(s.status = 'accepted') AS accepted,
               min(s.received_at) AS first_received_at,
               max(s.received_at) AS last_received_at
          FROM submitted s
         GROUP BY s.period, s.kode_desa
    ), current_rows AS (
        SELECT to_date(f.periode, 'YYYY-MM') AS period, f.kode_desa, sum(f.rows_read)::integer AS rows_read,
               sum((SELECT count(DISTINCT i.source_row) FROM quality.row_issue i
                     WHERE i.file_id = f.file_id AND i.severity = 'error'))::integer AS rows_error
          FROM raw.current_submission_file f
         WHERE f.periode IS NOT NULL AND f.kode_desa IS NOT NULL
         GROUP BY f.periode, f.kode_desa
    )
    SELECT c.period, to_char(c.period, 'YYYY-MM'), c.cutoff_at, now() >= c.cutoff_at,
           k.kode_kecamatan, k.nama_kecamatan, d.kode_desa, d.nama_desa,
           p.kode_desa IS NOT NULL,
           coalesce(p.first_received_at < c.cutoff_at, false),
           coalesce(p.first_received_at >= c.cutoff_at, false),
           p.kode_desa IS NULL,
           coalesce(p.accepted, false),
           coalesce(p.files, 0), coalesce(p.files_rejected, 0),
           p.first_received_at, p.last_received_at,
           coalesce(r.rows_read, 0), coalesce(r.rows_error, 0)
      FROM cutoffs c
     CROSS JOIN ref.desa d
      JOIN ref.kecamatan k ON k.kode_kecamatan = d.kode_kecamatan
      LEFT JOIN per_desa p ON p.period = c.period AND p.kode_desa = d.kode_desa
      LEFT JOIN current_rows r ON r.period = c.period AND r.kode_desa = d.kode_desa
$$;
