-- Per village and period, with the cut-off day of the setting verfak.cutoff_day (default: `config.Settings.cutoff_day`, 17; the same number is the views' fallback, checked by tests/unit/test_settings_documented.py).
CREATE OR REPLACE VIEW mart.completeness_desa AS
SELECT *
  FROM mart.completeness_desa_at(coalesce(nullif(current_setting('verfak.cutoff_day', true), '')::integer, 17));
