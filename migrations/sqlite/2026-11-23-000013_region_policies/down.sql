CREATE TABLE contact_policies_general (
    client_id BIGINT PRIMARY KEY REFERENCES clients (id),
    earliest_minute INTEGER NOT NULL,
    latest_minute INTEGER NOT NULL,
    weekdays TEXT NOT NULL,
    max_attempts_7_days INTEGER NOT NULL,
    max_attempts_24_hours INTEGER NOT NULL,
    min_hours_between_attempts INTEGER NOT NULL,
    quiet_days_after_conversation INTEGER NOT NULL,
    max_total_attempts INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO contact_policies_general SELECT client_id, earliest_minute, latest_minute, weekdays,
    max_attempts_7_days, max_attempts_24_hours, min_hours_between_attempts,
    quiet_days_after_conversation, max_total_attempts, updated_at
FROM contact_policies WHERE region = '';
DROP TABLE contact_policies;
ALTER TABLE contact_policies_general RENAME TO contact_policies;
