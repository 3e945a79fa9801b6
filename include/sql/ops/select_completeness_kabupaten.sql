-- The regency's completeness for every period (oldest first): the trend of the reporting rates.
SELECT periode, cutoff_at, period_closed, expected, received, on_time, late, missing, rejected_only,
       rows_error, reporting_rate, reporting_rate_on_time
  FROM mart.completeness_kabupaten
 ORDER BY period
