-- Landing-zone paths ingest did not read (links, pipes, devices), seen in the last days.
SELECT path, reason, first_seen_at, last_seen_at
  FROM raw.skipped_path
 WHERE last_seen_at >= now() - make_interval(days => %(days)s)
 ORDER BY last_seen_at DESC, path
 LIMIT %(limit)s
