-- Referral history and what the agencies may read.

-- Everyone verified, per period, with what program rules and agency columns need. Not readable
-- by agencies: each reads only its own publish.<program> view (created by verfak.agency).
CREATE OR REPLACE VIEW publish.referral_candidate AS
SELECT v.period, v.nik, v.no_kk, v.nama, v.jenis_kelamin, v.tanggal_lahir,
       date_part('year', age((v.period + interval '1 month - 1 day')::date, v.tanggal_lahir))::integer AS umur,
       v.hubungan_keluarga, v.alamat, v.rt, v.rw, v.no_hp,
       k.kode_kecamatan, k.nama_kecamatan, d.kode_desa, d.nama_desa,
       v.status_verifikasi, v.desil, v.pekerjaan, v.pendidikan, v.pendapatan_bulanan,
       array_to_string(v.minat_pelatihan, ';') AS minat_pelatihan, v.minat_pelatihan AS minat_pelatihan_list,
       CASE v.memiliki_usaha WHEN true THEN 'ya' WHEN false THEN 'tidak' END AS memiliki_usaha,
       v.minat_usaha, v.tanggal_verifikasi
  FROM core.verifikasi v
  JOIN ref.desa d ON d.kode_desa = v.kode_desa
  JOIN ref.kecamatan k ON k.kode_kecamatan = d.kode_kecamatan;

-- One row per person referred to a program for a period. The id is given once and kept: a
-- rerun of the same period keeps every id, and the next period's referrals say who is new.
CREATE SEQUENCE IF NOT EXISTS publish.referral_seq;
CREATE TABLE IF NOT EXISTS publish.referral (
    referral_id     text PRIMARY KEY,
    program         text NOT NULL,
    period          date NOT NULL,
    nik             text NOT NULL,
    urutan          integer NOT NULL,        -- rank in the program's priority order
    status_rujukan  text NOT NULL CHECK (status_rujukan IN ('baru', 'lanjutan')),
    first_export    date NOT NULL,
    dag_run_id      text,
    UNIQUE (program, period, nik)
);
CREATE INDEX IF NOT EXISTS referral_program_nik ON publish.referral (program, nik, period);

-- The period each program's referrals were last chosen for: what its agency view shows (even
-- when nobody qualified that period).
CREATE TABLE IF NOT EXISTS publish.program_period (
    program      text PRIMARY KEY,
    period       date NOT NULL,
    chosen_at    timestamptz NOT NULL DEFAULT now()
);
