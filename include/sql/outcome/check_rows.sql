-- The outcome checks of every row in tmp_return_rows (typed return rows of one program), one
-- column per rule (publish.outcome_checks). The row's previous status comes from one ordered
-- sequence per referral: the events already recorded (not from the files being checked again,
-- which were deleted first) and the rows being checked, by date, then by when they were
-- reported, then by row. A row repeating an earlier fact (same status and date) is not a move.
-- Rows that fail (in_sequence false, set by verfak.tindak_lanjut between passes) keep their place
-- but are not loaded, so they are not anyone's previous status.
WITH sequence AS (
    SELECT o.referral_id, o.status, o.tanggal, o.reported_at, NULL::bigint AS file_id, o.source_row,
           false AS in_batch, true AS counts
      FROM publish.referral_outcome o
     WHERE o.referral_id IN (SELECT referral_id FROM tmp_return_rows)
    UNION ALL
    SELECT t.referral_id, t.status, t.tanggal, t.reported_at, t.file_id, t.source_row, true, t.in_sequence
      FROM tmp_return_rows t
      JOIN publish.referral r ON r.referral_id = t.referral_id AND r.program = t.program
      JOIN publish.program_outcome p ON p.program = t.program
     WHERE t.status = ANY(p.statuses) AND t.tanggal IS NOT NULL
), ordered AS (
    SELECT file_id, source_row, in_batch,
           array_agg(status) FILTER (WHERE counts) OVER (
               PARTITION BY referral_id ORDER BY tanggal, reported_at, file_id NULLS FIRST, source_row
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier,
           count(*) FILTER (WHERE counts) OVER (
               PARTITION BY referral_id, status, tanggal ORDER BY reported_at, file_id NULLS FIRST, source_row
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 0 AS repeated
      FROM sequence
)
SELECT t.file_id, t.source_row, c.*
  FROM tmp_return_rows t
  LEFT JOIN ordered q ON q.in_batch AND q.file_id = t.file_id AND q.source_row = t.source_row
  CROSS JOIN LATERAL publish.outcome_checks(t.program, t.referral_id, t.nik, t.status, t.tanggal, t.nilai,
                                            t.keterangan, q.earlier[cardinality(q.earlier)],
                                            coalesce(q.repeated, false), %(today)s) c
 ORDER BY t.file_id, t.source_row
