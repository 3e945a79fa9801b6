-- The database route: an agency records an outcome of one of its own program's referrals. Runs
-- with its owner's rights (the role has no write grant on any table), with a fixed search_path;
-- the caller must be the program's agency role (or a member of it). Raises with the rule's id and
-- Indonesian message when a check fails; recording the same fact again returns its id.
CREATE OR REPLACE FUNCTION publish.catat_tindak_lanjut(
    p_referral_id text, p_status text, p_tanggal date, p_nilai bigint DEFAULT NULL,
    p_kegiatan text DEFAULT NULL, p_keterangan text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_program text;
    v_nik text;
    v_previous text;
    v_repeated boolean;
    v_checks record;
    v_failed text;
    v_message text;
    v_id bigint;
BEGIN
    IF p_referral_id IS NULL OR length(p_referral_id) > 40 OR length(p_status) > 40
       OR length(p_kegiatan) > 200 OR length(p_keterangan) > 1000 OR p_nilai > 1000000000000 THEN
        RAISE EXCEPTION 'tl_masukan_tidak_sah: isian terlalu panjang atau kosong' USING ERRCODE = 'check_violation';
    END IF;
    SELECT r.program, r.nik INTO v_program, v_nik FROM publish.referral r WHERE r.referral_id = p_referral_id;
    -- another program's referral looks exactly like an unknown one: nothing leaks across agencies
    IF v_program IS NULL OR NOT pg_has_role(session_user, 'agency_' || v_program, 'MEMBER') THEN
        RAISE EXCEPTION 'tl_referral_dikenal: ID rujukan % tidak dikenal untuk program Anda', p_referral_id
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('verfak.outcome'), hashtext(p_referral_id));
    SELECT o.status INTO v_previous FROM publish.referral_outcome o
     WHERE o.referral_id = p_referral_id AND o.tanggal <= p_tanggal
     ORDER BY o.tanggal DESC, o.reported_at DESC, o.source_row DESC, o.outcome_id DESC LIMIT 1;
    SELECT o.outcome_id INTO v_id FROM publish.referral_outcome o
     WHERE o.referral_id = p_referral_id AND o.status = p_status AND o.tanggal = p_tanggal;
    v_repeated := v_id IS NOT NULL;
    SELECT * INTO v_checks FROM publish.outcome_checks(v_program, p_referral_id, v_nik, p_status, p_tanggal, p_nilai,
        p_keterangan, v_previous, v_repeated, (now() AT TIME ZONE 'Asia/Jakarta')::date);
    v_failed := CASE
        WHEN NOT v_checks.tl_status_program THEN 'tl_status_program'
        WHEN NOT v_checks.tl_tanggal_wajib THEN 'tl_tanggal_wajib'
        WHEN NOT v_checks.tl_perpindahan_sah THEN 'tl_perpindahan_sah'
        WHEN NOT v_checks.tl_tanggal_setelah_rujukan THEN 'tl_tanggal_setelah_rujukan'
        WHEN NOT v_checks.tl_tanggal_tidak_di_masa_depan THEN 'tl_tanggal_tidak_di_masa_depan'
        WHEN NOT v_checks.tl_nilai_wajib THEN 'tl_nilai_wajib'
        WHEN NOT v_checks.tl_nilai_positif THEN 'tl_nilai_positif' END;
    IF v_failed IS NOT NULL THEN
        SELECT q.message INTO v_message FROM quality.rule q WHERE q.rule_id = v_failed;
        RAISE EXCEPTION '%: %', v_failed, coalesce(v_message, 'isian tidak sah') USING ERRCODE = 'check_violation';
    END IF;
    IF v_repeated THEN
        RETURN v_id;
    END IF;
    INSERT INTO publish.referral_outcome (referral_id, status, tanggal, nilai, kegiatan, keterangan, koreksi,
                                          source, reported_at)
    VALUES (p_referral_id, p_status, p_tanggal, p_nilai, p_kegiatan, p_keterangan, v_checks.koreksi,
            'database', now())
    RETURNING outcome_id INTO v_id;
    RETURN v_id;
END $$;
REVOKE ALL ON FUNCTION publish.catat_tindak_lanjut(text, text, date, bigint, text, text) FROM PUBLIC;
