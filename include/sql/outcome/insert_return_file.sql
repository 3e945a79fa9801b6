-- Register a return file, accepted or rejected; nothing when the same bytes are already
-- registered for the same month and folder. Parameters in the order of the column list.
INSERT INTO raw.return_file (sha256, path, file_name, program, folder_program, periode, file_format,
    size_bytes, modified_at, status, reject_code, reject_message, read_details, rows_read,
    rows_passed, rows_rejected, dag_run_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (sha256, periode, folder_program) DO NOTHING RETURNING file_id
