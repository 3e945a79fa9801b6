-- The checks of one outcome, one column per rule (named as the rule in verfak.rules.OUTCOME_RULES):
-- true = passes, false = fails, NULL = the rule does not apply. Used by the return-file gate (every
-- row, then Great Expectations on the result) and by publish.catat_tindak_lanjut, so both routes
-- apply the same rules. p_previous: the referral's status just before this one; p_repeated: the
-- same fact (status and date) was already reported.
CREATE OR REPLACE FUNCTION publish.outcome_checks(
    p_program text, p_referral_id text, p_nik text, p_status text, p_tanggal date, p_nilai bigint,
    p_keterangan text, p_previous text, p_repeated boolean, p_today date)
RETURNS TABLE (tl_referral_dikenal boolean, tl_referral_program boolean, tl_nik_sesuai boolean,
               tl_status_program boolean, tl_perpindahan_sah boolean, tl_tanggal_wajib boolean,
               tl_tanggal_setelah_rujukan boolean, tl_tanggal_tidak_di_masa_depan boolean,
               tl_nilai_wajib boolean, tl_nilai_positif boolean, koreksi boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.referral_id IS NOT NULL,
           CASE WHEN r.referral_id IS NOT NULL THEN r.program = p_program END,
           CASE WHEN r.program = p_program THEN coalesce(p_nik = r.nik, false) END,
           coalesce(p_status = ANY(po.statuses), false),
           CASE WHEN r.program = p_program AND p_status = ANY(po.statuses) AND p_tanggal IS NOT NULL THEN
               coalesce(p_keterangan ~* '^\s*koreksi\s*:', false) OR p_repeated
               OR (p_previous IS NULL AND s.allowed_first)
               OR coalesce(p_previous = ANY(s.allowed_after) AND NOT p_previous = ANY(po.final), false) END,
           p_tanggal IS NOT NULL,
           CASE WHEN p_tanggal IS NOT NULL AND r.program = p_program THEN p_tanggal >= r.first_export END,
           CASE WHEN p_tanggal IS NOT NULL THEN p_tanggal <= p_today END,
           CASE WHEN s.money THEN p_nilai IS NOT NULL END,
           CASE WHEN s.money AND p_nilai IS NOT NULL THEN p_nilai > 0 END,
           coalesce(p_keterangan ~* '^\s*koreksi\s*:', false)
      FROM (SELECT 1) one
      LEFT JOIN publish.referral r ON r.referral_id = p_referral_id
      LEFT JOIN publish.program_outcome po ON po.program = p_program
      LEFT JOIN ref.outcome_status s ON s.status = p_status
$$;
REVOKE ALL ON FUNCTION publish.outcome_checks(text, text, text, text, date, bigint, text, text, boolean, date) FROM PUBLIC;
