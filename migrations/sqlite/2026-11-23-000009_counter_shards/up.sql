-- The shard column exists for PostgreSQL, where connections count into their own rows so that
-- concurrent outcomes do not queue on one row (see the PostgreSQL migration). SQLite has one
-- writer at a time, so everything stays in shard 0 and the key is unchanged.
ALTER TABLE milestone_counts ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;

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
-- conversation); later attempts no longer rewrite the row for nothing.
DROP TRIGGER attempt_recorded;
CREATE TRIGGER attempt_recorded AFTER INSERT ON contact_attempts BEGIN
    UPDATE case_milestones SET
        first_attempt_at = MIN(COALESCE(first_attempt_at, NEW.attempted_at), NEW.attempted_at),
        first_contact_at = CASE WHEN NEW.conversation
            THEN MIN(COALESCE(first_contact_at, NEW.attempted_at), NEW.attempted_at)
            ELSE first_contact_at END
    WHERE case_id = NEW.case_id
      AND (first_attempt_at IS NULL OR first_attempt_at > NEW.attempted_at
           OR (NEW.conversation AND (first_contact_at IS NULL OR first_contact_at > NEW.attempted_at)));
END;
