CREATE OR REPLACE FUNCTION milestone_attempt() RETURNS trigger AS $$
BEGIN
    UPDATE case_milestones SET
        first_attempt_at = LEAST(COALESCE(first_attempt_at, NEW.attempted_at), NEW.attempted_at),
        first_contact_at = CASE WHEN NEW.conversation
            THEN LEAST(COALESCE(first_contact_at, NEW.attempted_at), NEW.attempted_at)
            ELSE first_contact_at END
    WHERE case_id = NEW.case_id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

DROP TRIGGER milestones_recounted ON case_milestones;
DROP TRIGGER milestones_counted ON case_milestones;
CREATE TRIGGER milestones_counted AFTER INSERT OR UPDATE ON case_milestones FOR EACH ROW EXECUTE FUNCTION count_milestones();

DROP INDEX case_milestones_attempt;
DROP INDEX case_milestones_contact;
DROP INDEX case_milestones_plan;
DROP INDEX case_milestones_confirmed;
DROP INDEX case_milestones_re_engaged;
DROP INDEX case_milestones_vulnerable;
CREATE INDEX case_milestones_attempt ON case_milestones (client_id, first_attempt_at);
CREATE INDEX case_milestones_contact ON case_milestones (client_id, first_contact_at);
CREATE INDEX case_milestones_plan ON case_milestones (client_id, first_plan_at);
CREATE INDEX case_milestones_confirmed ON case_milestones (client_id, plan_confirmed_at);
CREATE INDEX case_milestones_re_engaged ON case_milestones (client_id, re_engaged_at);
CREATE INDEX case_milestones_vulnerable ON case_milestones (client_id, vulnerable_at);

CREATE OR REPLACE FUNCTION bump_milestone(c BIGINT, m TEXT, at TIMESTAMP, delta BIGINT) RETURNS void AS $$
BEGIN
    IF at IS NOT NULL THEN
        INSERT INTO milestone_counts (client_id, measure, hour, n) VALUES (c, m, date_trunc('hour', at), delta)
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = milestone_counts.n + EXCLUDED.n;
    END IF;
END $$ LANGUAGE plpgsql;

CREATE TEMPORARY TABLE merged AS
SELECT client_id, measure, hour, SUM(n) AS n FROM milestone_counts GROUP BY 1, 2, 3;
DELETE FROM milestone_counts;
ALTER TABLE milestone_counts DROP CONSTRAINT milestone_counts_pkey;
ALTER TABLE milestone_counts DROP COLUMN shard;
ALTER TABLE milestone_counts ADD PRIMARY KEY (client_id, measure, hour);
INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT client_id, measure, hour, n FROM merged;
DROP TABLE merged;
