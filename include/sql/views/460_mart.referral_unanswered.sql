-- Referrals an agency has not answered within its program's response_days.
CREATE OR REPLACE VIEW mart.referral_unanswered AS
SELECT p.program, p.agency, p.response_days, count(*) AS belum_dijawab,
       min(r.first_export) AS rujukan_tertua
  FROM publish.referral r
  JOIN publish.program_outcome p ON p.program = r.program
 WHERE NOT EXISTS (SELECT 1 FROM publish.referral_outcome o WHERE o.referral_id = r.referral_id)
   AND r.first_export + p.response_days < (now() AT TIME ZONE 'Asia/Jakarta')::date
 GROUP BY p.program, p.agency, p.response_days;
