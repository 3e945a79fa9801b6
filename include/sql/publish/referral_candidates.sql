-- Everyone verified in a period, with what the program rules and the agencies' columns need.
-- The program's own filter, order and quota are added by verfak.programs from include/programs.yaml.
SELECT v.nik, v.no_kk, p.nama, p.jenis_kelamin, p.tanggal_lahir,
       date_part('year', age((date_trunc('month', v.period) + interval '1 month - 1 day')::date, p.tanggal_lahir))::integer AS umur,
       p.hubungan_keluarga, p.alamat, p.rt, p.rw, v.no_hp,
       k.kode_kecamatan, k.nama_kecamatan, d.kode_desa, d.nama_desa,
       v.status_verifikasi, v.desil, v.pekerjaan, v.pendidikan, v.pendapatan_bulanan,
       array_to_string(v.minat_pelatihan, ';') AS minat_pelatihan, v.minat_pelatihan AS minat_pelatihan_list,
       CASE v.memiliki_usaha WHEN true THEN 'ya' WHEN false THEN 'tidak' END AS memiliki_usaha,
       v.minat_usaha, v.tanggal_verifikasi
  FROM core.verifikasi v
  JOIN core.person_version p USING (person_version_id)
  JOIN ref.desa d ON d.kode_desa = v.kode_desa
  JOIN ref.kecamatan k ON k.kode_kecamatan = d.kode_kecamatan
 WHERE v.period = %(period)s
