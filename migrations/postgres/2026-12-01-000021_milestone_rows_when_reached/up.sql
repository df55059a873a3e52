-- A case's milestone row is now written when the case reaches its first milestone after referral
-- (an attempt, a plan, a vulnerability, re-engagement), not when it is referred.
--
-- Most referred cases wait days for their first call, and a bulk import wrote a million rows of
-- nothing but the referral time beside the million cases that already hold it: about a fifth of
-- the import's database work. Referrals are counted into milestone_counts as the case is written
-- (the import counts its own rows, as before); the cohort report takes its referral counts from
-- there and its milestones from the rows that exist. Rows written before this migration stay.
--
-- SQLite keeps writing the row with the case: its import goes row by row anyway, and the reports
-- read both shapes the same way.

-- A case's milestone row, written the first time one is needed.
CREATE FUNCTION case_milestones_row(c BIGINT) RETURNS void AS $$
BEGIN
    INSERT INTO case_milestones (case_id, client_id, referred_at)
    SELECT id, client_id, referred_at FROM cases WHERE id = c
    ON CONFLICT (case_id) DO NOTHING;
END $$ LANGUAGE plpgsql;

-- A referral is counted here; the row waits for a milestone (one inserted already re-engaged
-- has reached one).
CREATE OR REPLACE FUNCTION milestone_case_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM bump_milestone(NEW.client_id, 'referred', NEW.referred_at, 1);
    IF NEW.re_engaged_at IS NOT NULL THEN
        INSERT INTO case_milestones (case_id, client_id, referred_at, re_engaged_at)
        VALUES (NEW.id, NEW.client_id, NEW.referred_at, NEW.re_engaged_at);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

-- A new milestone row no longer counts its referral (counted with the case).
CREATE OR REPLACE FUNCTION count_milestones() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND current_setting('outreach.bulk', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_milestone(NEW.client_id, 'attempted', NEW.first_attempt_at, 1);
        PERFORM bump_milestone(NEW.client_id, 'contacted', NEW.first_contact_at, 1);
        PERFORM bump_milestone(NEW.client_id, 'plans_proposed', NEW.first_plan_at, 1);
        PERFORM bump_milestone(NEW.client_id, 'plans_confirmed', NEW.plan_confirmed_at, 1);
        PERFORM bump_milestone(NEW.client_id, 're_engaged', NEW.re_engaged_at, 1);
        PERFORM bump_milestone(NEW.client_id, 'vulnerable_identified', NEW.vulnerable_at, 1);
        RETURN NEW;
    END IF;
    IF OLD.first_attempt_at IS DISTINCT FROM NEW.first_attempt_at THEN
        PERFORM bump_milestone(OLD.client_id, 'attempted', OLD.first_attempt_at, -1);
        PERFORM bump_milestone(NEW.client_id, 'attempted', NEW.first_attempt_at, 1);
    END IF;
    IF OLD.first_contact_at IS DISTINCT FROM NEW.first_contact_at THEN
        PERFORM bump_milestone(OLD.client_id, 'contacted', OLD.first_contact_at, -1);
        PERFORM bump_milestone(NEW.client_id, 'contacted', NEW.first_contact_at, 1);
    END IF;
    IF OLD.first_plan_at IS DISTINCT FROM NEW.first_plan_at THEN
        PERFORM bump_milestone(OLD.client_id, 'plans_proposed', OLD.first_plan_at, -1);
        PERFORM bump_milestone(NEW.client_id, 'plans_proposed', NEW.first_plan_at, 1);
    END IF;
    IF OLD.plan_confirmed_at IS DISTINCT FROM NEW.plan_confirmed_at THEN
        PERFORM bump_milestone(OLD.client_id, 'plans_confirmed', OLD.plan_confirmed_at, -1);
        PERFORM bump_milestone(NEW.client_id, 'plans_confirmed', NEW.plan_confirmed_at, 1);
    END IF;
    IF OLD.re_engaged_at IS DISTINCT FROM NEW.re_engaged_at THEN
        PERFORM bump_milestone(OLD.client_id, 're_engaged', OLD.re_engaged_at, -1);
        PERFORM bump_milestone(NEW.client_id, 're_engaged', NEW.re_engaged_at, 1);
    END IF;
    IF OLD.vulnerable_at IS DISTINCT FROM NEW.vulnerable_at THEN
        PERFORM bump_milestone(OLD.client_id, 'vulnerable_identified', OLD.vulnerable_at, -1);
        PERFORM bump_milestone(NEW.client_id, 'vulnerable_identified', NEW.vulnerable_at, 1);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

-- Every milestone writer makes sure the row is there first.
CREATE OR REPLACE FUNCTION milestone_case_re_engaged() RETURNS trigger AS $$
BEGIN
    PERFORM case_milestones_row(NEW.id);
    UPDATE case_milestones SET re_engaged_at = NEW.re_engaged_at WHERE case_id = NEW.id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION milestone_attempt() RETURNS trigger AS $$
BEGIN
    PERFORM case_milestones_row(NEW.case_id);
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

CREATE OR REPLACE FUNCTION milestone_plan() RETURNS trigger AS $$
BEGIN
    PERFORM case_milestones_row(NEW.case_id);
    UPDATE case_milestones SET
        first_plan_at = LEAST(COALESCE(first_plan_at, NEW.created_at), NEW.created_at),
        plan_confirmed_at = COALESCE(plan_confirmed_at, NEW.confirmed_at)
    WHERE case_id = NEW.case_id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION milestone_vulnerability() RETURNS trigger AS $$
BEGIN
    PERFORM case_milestones_row(NEW.case_id);
    UPDATE case_milestones SET vulnerable_at = LEAST(COALESCE(vulnerable_at, NEW.recorded_at), NEW.recorded_at)
    WHERE case_id = NEW.case_id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION milestone_case_flagged_vulnerable() RETURNS trigger AS $$
BEGIN
    PERFORM case_milestones_row(NEW.id);
    UPDATE case_milestones
    SET vulnerable_at = LEAST(COALESCE(vulnerable_at, NEW.updated_at), NEW.updated_at)
    WHERE case_id = NEW.id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

-- References are the client's identifiers: compared byte for byte, which is what uniqueness
-- means for them, instead of through the database's collation (`C.UTF-8`, `en_GB.UTF-8`: a
-- locale-aware comparison per index step, about an eighth of a bulk import's database work).
ALTER TABLE cases ALTER COLUMN reference TYPE TEXT COLLATE "C";

-- The clients a statement's cases belong to, checked in one pass over its rows: every distinct
-- client is locked as a key would (KEY SHARE), and one missing is a violation. (The check it
-- replaces read the rows twice and looked each one's client up again.)
CREATE OR REPLACE FUNCTION cases_have_clients() RETURNS trigger AS $$
DECLARE
    wanted BIGINT[];
    locked BIGINT;
BEGIN
    SELECT array_agg(DISTINCT client_id) INTO wanted FROM new_cases;
    PERFORM 1 FROM clients WHERE id = ANY (wanted) FOR KEY SHARE;
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked < COALESCE(cardinality(wanted), 0) THEN
        RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_client_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_client_id_fkey';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
