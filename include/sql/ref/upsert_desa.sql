-- The villages of include/reference/wilayah_bekasi.csv (with the BPS code of the crosswalk),
-- written only when something changed. Parameters in the order of the column list.
INSERT INTO ref.desa (kode_desa, kode_desa_plain, kode_kecamatan, nama_desa, jenis, kode_desa_bps)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (kode_desa) DO UPDATE SET
    kode_kecamatan = EXCLUDED.kode_kecamatan, nama_desa = EXCLUDED.nama_desa,
    jenis = EXCLUDED.jenis, kode_desa_bps = EXCLUDED.kode_desa_bps
WHERE (ref.desa.kode_kecamatan, ref.desa.nama_desa, ref.desa.jenis, ref.desa.kode_desa_bps)
      IS DISTINCT FROM
      (EXCLUDED.kode_kecamatan, EXCLUDED.nama_desa, EXCLUDED.jenis, EXCLUDED.kode_desa_bps)
