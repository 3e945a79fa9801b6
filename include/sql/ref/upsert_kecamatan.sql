-- The kecamatan of include/reference/wilayah_bekasi.csv, written only when the name changed.
-- Parameters: kode_kecamatan, nama_kecamatan (positional).
INSERT INTO ref.kecamatan (kode_kecamatan, nama_kecamatan) VALUES (%s, %s)
ON CONFLICT (kode_kecamatan) DO UPDATE SET nama_kecamatan = EXCLUDED.nama_kecamatan
WHERE ref.kecamatan.nama_kecamatan IS DISTINCT FROM EXCLUDED.nama_kecamatan
