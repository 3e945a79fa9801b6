-- Who was on the list on a given date: the layak people of the latest period that had started by then.
CREATE OR REPLACE FUNCTION mart.on_list_as_of(as_of date)
RETURNS TABLE (nik text, periode text, kode_desa text, nama text)
LANGUAGE sql STABLE AS $$
    SELECT f.nik, to_char(f.period, 'YYYY-MM'), f.kode_desa, f.nama
      FROM core.verifikasi f
     WHERE f.status_verifikasi = 'layak'
       AND f.period = (SELECT max(period) FROM core.verifikasi WHERE period <= as_of)
$$;
