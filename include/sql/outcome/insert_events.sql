-- The outcomes that passed the gate as events, in date order; the same fact twice is one event.
INSERT INTO publish.referral_outcome (referral_id, status, tanggal, nilai, kegiatan, keterangan, koreksi,
    source, file_id, source_row, reported_at)
SELECT referral_id, status, tanggal, nilai, kegiatan, keterangan, koreksi, 'file', file_id, source_row,
       reported_at
  FROM tmp_return_event ORDER BY tanggal, reported_at, file_id, source_row
ON CONFLICT (referral_id, status, tanggal) DO NOTHING
