-- Referrals per program and current status (belum_dijawab: no answer yet), every period: the run summary.
SELECT r.program, coalesce(s.status, 'belum_dijawab') AS status, count(*)::int AS referrals
  FROM publish.referral r
  LEFT JOIN publish.referral_status s ON s.referral_id = r.referral_id
 GROUP BY 1, 2
 ORDER BY 1, 3 DESC, 2
