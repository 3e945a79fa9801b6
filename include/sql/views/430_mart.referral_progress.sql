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
