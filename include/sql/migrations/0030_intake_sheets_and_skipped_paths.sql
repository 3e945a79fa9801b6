-- Issue #12, items 3 and 5: which sheet a raw row came from, and the landing-zone paths ingest skips.

-- A workbook is read from every sheet that has the submission header (e.g. one sheet per RT). A
-- row's key in its file stays source_row: the row number the village sees on the first data
-- sheet; on the k-th data sheet (from 0) that number plus k * 1048576 (Excel's row limit), so that
-- (file_id, source_row) is still the row's identity everywhere downstream. source_sheet and
-- sheet_row say where the village finds the row; both NULL for a CSV.
ALTER TABLE raw.submission_row
    ADD COLUMN IF NOT EXISTS source_sheet text,
    ADD COLUMN IF NOT EXISTS sheet_row integer;
COMMENT ON COLUMN raw.submission_row.source_row IS
    'key of the row in its file: its spreadsheet row number, plus k * 1048576 on the k-th data sheet (from 0) of a workbook read from several sheets';
COMMENT ON COLUMN raw.submission_row.source_sheet IS 'the sheet the row was read from (NULL for a CSV)';
COMMENT ON COLUMN raw.submission_row.sheet_row IS 'the row number on that sheet, as the village sees it (NULL for a CSV)';

-- Paths of the landing zone that ingest does not read: links (to files or folders, wherever they
-- point) and anything that is not a regular file (a pipe, a device). Only the path and the
-- reason, for the nightly report; never the link's target or content.
CREATE TABLE IF NOT EXISTS raw.skipped_path (
    path           text PRIMARY KEY,          -- relative to the landing folder
    reason         text NOT NULL,             -- tautan (a link), bukan_file_biasa (not a regular file)
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now()
);
