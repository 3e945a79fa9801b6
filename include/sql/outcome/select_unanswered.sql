-- Referrals an agency has not answered within its program's response_days, as of %(today)s, per
-- agency, program, kecamatan and village: counts and the oldest export date only, no person.
SELECT p.agency, r.program, p.response_days, c.nama_kecamatan, c.nama_desa,
       count(*)::int AS belum_dijawab, min(r.first_export) AS rujukan_tertua
  FROM publish.referral r
  JOIN publish.program_outcome p ON p.program = r.program
  LEFT JOIN publish.referral_candidate c ON c.period = r.period AND c.nik = r.nik
 WHERE NOT EXISTS (SELECT 1 FROM publish.referral_outcome o WHERE o.referral_id = r.referral_id)
   AND r.first_export + p.response_days < %(today)s
 GROUP BY p.agency, r.program, p.response_days, c.nama_kecamatan, c.nama_desa
 ORDER BY p.agency, r.program, count(*) DESC, c.nama_kecamatan, c.nama_desa
