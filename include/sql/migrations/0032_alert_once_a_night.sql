-- Issue 13: an agency that has not answered its referrals within response_days gets one alert a
-- night, not one per person. subject: who the alert is about (the agency's name, no personal data);
-- night: the WIB date it belongs to. A second raise on the same night is refused by the index.
ALTER TABLE ops.alert
    ADD COLUMN IF NOT EXISTS subject text,
    ADD COLUMN IF NOT EXISTS night date;
CREATE UNIQUE INDEX IF NOT EXISTS alert_once_a_night ON ops.alert (kind, subject, night) WHERE night IS NOT NULL;
