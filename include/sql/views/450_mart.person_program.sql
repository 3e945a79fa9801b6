-- Per person, every program they were referred to and where they stand in it, in order.
CREATE OR REPLACE VIEW mart.person_program AS
SELECT nik, count(*) AS programs,
       string_agg(program || ':' || coalesce(status, 'belum_dijawab'), ' > ' ORDER BY first_export, program) AS jalur,
       array_agg(program ORDER BY first_export, program) AS program_list
  FROM mart.referral_progress
 GROUP BY nik;
