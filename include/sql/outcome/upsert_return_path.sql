-- Remember what was last seen at a return-file path. Parameters: path, size_bytes, modified_at,
-- sha256, file_id (positional).
INSERT INTO raw.return_path (path, size_bytes, modified_at, sha256, file_id) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (path) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, modified_at = EXCLUDED.modified_at,
    sha256 = EXCLUDED.sha256, file_id = EXCLUDED.file_id, seen_at = now()
