-- What a program accepts back (include/programs.yaml), written only when it changed. Parameters:
-- program, agency, statuses, final, response_days (positional).
INSERT INTO publish.program_outcome (program, agency, statuses, final, response_days)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (program) DO UPDATE SET agency = EXCLUDED.agency, statuses = EXCLUDED.statuses,
    final = EXCLUDED.final, response_days = EXCLUDED.response_days
WHERE (publish.program_outcome.agency, publish.program_outcome.statuses, publish.program_outcome.final,
       publish.program_outcome.response_days)
      IS DISTINCT FROM (EXCLUDED.agency, EXCLUDED.statuses, EXCLUDED.final, EXCLUDED.response_days)
