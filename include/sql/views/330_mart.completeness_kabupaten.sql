-- For the regency (Kabupaten Bekasi) as a whole, per period.
CREATE OR REPLACE VIEW mart.completeness_kabupaten AS
SELECT period, periode, cutoff_at, period_closed,
       count(*)::integer                                   AS expected,
       (count(*) FILTER (WHERE received))::integer         AS received,
       (count(*) FILTER (WHERE on_time))::integer          AS on_time,
       (count(*) FILTER (WHERE late))::integer             AS late,
       (count(*) FILTER (WHERE missing))::integer          AS missing,
       (count(*) FILTER (WHERE received AND NOT accepted))::integer AS rejected_only,
       sum(rows_error)::integer                            AS rows_error,
       round(100.0 * count(*) FILTER (WHERE received) / count(*), 1) AS reporting_rate,
       round(100.0 * count(*) FILTER (WHERE on_time) / count(*), 1)  AS reporting_rate_on_time
  FROM mart.completeness_desa
 GROUP BY period, periode, cutoff_at, period_closed;
