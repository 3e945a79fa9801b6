-- A referral's current status: its latest event (by date, then by when it was reported).
CREATE OR REPLACE VIEW publish.referral_status AS
SELECT DISTINCT ON (o.referral_id)
       r.referral_id, r.program, r.period, r.nik, r.first_export, o.status, o.tanggal, o.nilai, o.koreksi
  FROM publish.referral_outcome o
  JOIN publish.referral r ON r.referral_id = o.referral_id
 ORDER BY o.referral_id, o.tanggal DESC, o.reported_at DESC, o.source_row DESC, o.outcome_id DESC;
