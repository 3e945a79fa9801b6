-- Record a program's referrals for a period from tmp_selected (nik, urutan, status_rujukan),
-- chosen by the program's rule (verfak.publish.record_referrals; status_rujukan 'baru' = never
-- referred to this program for an earlier period, programs.REFERRED_BEFORE): keep the ids of
-- people already referred for this period, give new ids to the others, and drop the ones no
-- longer selected (a corrected period).

DELETE FROM publish.referral r
 WHERE r.program = %(program)s AND r.period = %(period)s
   AND NOT EXISTS (SELECT 1 FROM tmp_selected s WHERE s.nik = r.nik);

UPDATE publish.referral r
   SET urutan = s.urutan, status_rujukan = s.status_rujukan
  FROM tmp_selected s
 WHERE r.program = %(program)s AND r.period = %(period)s AND r.nik = s.nik
   AND (r.urutan, r.status_rujukan) IS DISTINCT FROM (s.urutan, s.status_rujukan);

-- New ids are drawn in NIK order (the rank is urutan), so every index of publish.referral grows at
-- one end: 960,460 new cash-aid referrals took 10.2 s in rank order, 6.4 s in NIK order. The
-- number is padded to 7 digits and never cut (lpad alone truncates a longer text: one sequence
-- serves every program and period, so from the ten-millionth referral ids would have collided).
INSERT INTO publish.referral (referral_id, program, period, nik, urutan, status_rujukan, first_export, dag_run_id)
SELECT %(prefix)s || '-' || to_char(%(period)s::date, 'YYYYMM') || '-' || lpad(n::text, greatest(7, length(n::text)), '0'),
       %(program)s, %(period)s, s.nik, s.urutan, s.status_rujukan, %(export_date)s, %(dag_run_id)s
  FROM (SELECT s.*, nextval('publish.referral_seq') AS n
          FROM (SELECT * FROM tmp_selected s
                 WHERE NOT EXISTS (SELECT 1 FROM publish.referral r
                                    WHERE r.program = %(program)s AND r.period = %(period)s AND r.nik = s.nik)
                 ORDER BY s.nik) s) s;

INSERT INTO publish.program_period (program, period) VALUES (%(program)s, %(period)s)
ON CONFLICT (program) DO UPDATE SET period = EXCLUDED.period, chosen_at = now()
 WHERE publish.program_period.period IS DISTINCT FROM EXCLUDED.period;
