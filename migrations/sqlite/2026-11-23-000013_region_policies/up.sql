-- A client's policy may tighten further for some regions (a US state with stricter hours, for
-- instance). The general policy is the row with region ''; a customer's calls follow the
-- strictest of the general row and the rows for their region and its country. (SQLite cannot
-- change a primary key in place: the table is rebuilt.)
CREATE TABLE contact_policies_by_region (
    client_id BIGINT NOT NULL REFERENCES clients (id),
    region TEXT NOT NULL DEFAULT '',
    earliest_minute INTEGER NOT NULL,
    latest_minute INTEGER NOT NULL,
    weekdays TEXT NOT NULL,
    max_attempts_7_days INTEGER NOT NULL,
    max_attempts_24_hours INTEGER NOT NULL,
    min_hours_between_attempts INTEGER NOT NULL,
    quiet_days_after_conversation INTEGER NOT NULL,
    max_total_attempts INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, region)
);
INSERT INTO contact_policies_by_region (client_id, region, earliest_minute, latest_minute, weekdays,
    max_attempts_7_days, max_attempts_24_hours, min_hours_between_attempts,
    quiet_days_after_conversation, max_total_attempts, updated_at)
SELECT client_id, '', earliest_minute, latest_minute, weekdays, max_attempts_7_days,
    max_attempts_24_hours, min_hours_between_attempts, quiet_days_after_conversation,
    max_total_attempts, updated_at
FROM contact_policies;
DROP TABLE contact_policies;
ALTER TABLE contact_policies_by_region RENAME TO contact_policies;
