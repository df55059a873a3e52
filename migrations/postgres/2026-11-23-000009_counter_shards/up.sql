-- Every handler's first attempt on a case counted into the same row (client, measure, hour), so
-- concurrent outcomes queued on that row's lock until each transaction committed. Each database
-- connection now counts into its own shard (backend pid mod 8); reports sum over shards.
ALTER TABLE milestone_counts ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE milestone_counts DROP CONSTRAINT milestone_counts_pkey;
ALTER TABLE milestone_counts ADD PRIMARY KEY (client_id, measure, hour, shard);

CREATE OR REPLACE FUNCTION bump_milestone(c BIGINT, m TEXT, at TIMESTAMP, delta BIGINT) RETURNS void AS $$
BEGIN
    IF at IS NOT NULL THEN
        INSERT INTO milestone_counts (client_id, measure, hour, shard, n)
        VALUES (c, m, date_trunc('hour', at), pg_backend_pid() % 8, delta)
        ON CONFLICT (client_id, measure, hour, shard) DO UPDATE SET n = milestone_counts.n + EXCLUDED.n;
    END IF;
END $$ LANGUAGE plpgsql;

-- Milestones change on call outcomes, made concurrently by every handler: counting those changes
-- when the transaction commits holds a counter row's lock for the shortest time. (Inserts stay
-- immediate: bulk imports count their own rows and ask this trigger to stand aside.)
DROP TRIGGER milestones_counted ON case_milestones;
CREATE TRIGGER milestones_counted AFTER INSERT ON case_milestones FOR EACH ROW EXECUTE FUNCTION count_milestones();
CREATE CONSTRAINT TRIGGER milestones_recounted AFTER UPDATE ON case_milestones
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_milestones();

-- A milestone not reached yet is NULL; indexing those entries only slowed every referral down.
DROP INDEX case_milestones_attempt;
DROP INDEX case_milestones_contact;
DROP INDEX case_milestones_plan;
DROP INDEX case_milestones_confirmed;
DROP INDEX case_milestones_re_engaged;
DROP INDEX case_milestones_vulnerable;
CREATE INDEX case_milestones_attempt ON case_milestones (client_id, first_attempt_at) WHERE first_attempt_at IS NOT NULL;
CREATE INDEX case_milestones_contact ON case_milestones (client_id, first_contact_at) WHERE first_contact_at IS NOT NULL;
CREATE INDEX case_milestones_plan ON case_milestones (client_id, first_plan_at) WHERE first_plan_at IS NOT NULL;
CREATE INDEX case_milestones_confirmed ON case_milestones (client_id, plan_confirmed_at) WHERE plan_confirmed_at IS NOT NULL;
CREATE INDEX case_milestones_re_engaged ON case_milestones (client_id, re_engaged_at) WHERE re_engaged_at IS NOT NULL;
CREATE INDEX case_milestones_vulnerable ON case_milestones (client_id, vulnerable_at) WHERE vulnerable_at IS NOT NULL;

-- An attempt changes the milestones only when it is the case's first attempt (or first
-- conversation); later attempts no longer rewrite the row (and queue a recount) for nothing.
CREATE OR REPLACE FUNCTION milestone_attempt() RETURNS trigger AS $$
BEGIN
    UPDATE case_milestones SET
        first_attempt_at = LEAST(COALESCE(first_attempt_at, NEW.attempted_at), NEW.attempted_at),
        first_contact_at = CASE WHEN NEW.conversation
            THEN LEAST(COALESCE(first_contact_at, NEW.attempted_at), NEW.attempted_at)
            ELSE first_contact_at END
    WHERE case_id = NEW.case_id
      AND (first_attempt_at IS NULL OR first_attempt_at > NEW.attempted_at
           OR (NEW.conversation AND (first_contact_at IS NULL OR first_contact_at > NEW.attempted_at)));
    RETURN NEW;
END $$ LANGUAGE plpgsql;
