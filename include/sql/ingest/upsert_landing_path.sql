-- Remember what was last seen at a landing path (size, time, hash) and the file it holds.
-- Parameters: path, size_bytes, modified_at, sha256, file_id (positional).
INSERT INTO raw.landing_path (path, size_bytes, modified_at, sha256, file_id)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (path) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, modified_at = EXCLUDED.modified_at,
    sha256 = EXCLUDED.sha256, file_id = EXCLUDED.file_id
