-- The outcome statuses, copied from verfak.outcomes. Parameters: status, label, allowed_first,
-- allowed_after, money, category (positional).
INSERT INTO ref.outcome_status (status, label, allowed_first, allowed_after, money, category)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (status) DO UPDATE SET label = EXCLUDED.label, allowed_first = EXCLUDED.allowed_first,
    allowed_after = EXCLUDED.allowed_after, money = EXCLUDED.money, category = EXCLUDED.category
