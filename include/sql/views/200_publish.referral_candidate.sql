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
