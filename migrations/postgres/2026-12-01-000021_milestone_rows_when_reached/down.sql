CREATE OR REPLACE FUNCTION cases_have_clients() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM clients WHERE id IN (SELECT DISTINCT client_id FROM new_cases) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM new_cases n WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = n.client_id)) THEN
        RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_client_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_client_id_fkey';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

ALTER TABLE cases ALTER COLUMN reference TYPE TEXT COLLATE "default";

-- Every case gets its row back, without counting its referral a second time.
SET outreach.bulk = 'on';
INSERT INTO case_milestones (case_id, client_id, referred_at)
SELECT id, client_id, referred_at FROM cases ON CONFLICT (case_id) DO NOTHING;
RESET outreach.bulk;

CREATE OR REPLACE FUNCTION milestone_case_flagged_vulnerable() RETURNS trigger AS $$
BEGIN
    UPDATE case_milestones
    SET vulnerable_at = LEAST(COALESCE(vulnerable_at, NEW.updated_at), NEW.updated_at)
    WHERE case_id = NEW.id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION milestone_vulnerability() RETURNS trigger AS $$
BEGIN
    UPDATE case_milestones SET vulnerable_at = LEAST(COALESCE(vulnerable_at, NEW.recorded_at), NEW.recorded_at)
    WHERE case_id = NEW.case_id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION milestone_plan() RETURNS trigger AS $$
BEGIN
    UPDATE case_milestones SET
        first_plan_at = LEAST(COALESCE(first_plan_at, NEW.created_at), NEW.created_at),
        plan_confirmed_at = COALESCE(plan_confirmed_at, NEW.confirmed_at)
    WHERE case_id = NEW.case_id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

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

CREATE OR REPLACE FUNCTION milestone_case_re_engaged() RETURNS trigger AS $$
BEGIN
    UPDATE case_milestones SET re_engaged_at = NEW.re_engaged_at WHERE case_id = NEW.id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION count_milestones() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND current_setting('outreach.bulk', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM bump_milestone(NEW.client_id, 'referred', NEW.referred_at, 1);
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

CREATE OR REPLACE FUNCTION milestone_case_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO case_milestones (case_id, client_id, referred_at, re_engaged_at)
    VALUES (NEW.id, NEW.client_id, NEW.referred_at, NEW.re_engaged_at);
    RETURN NEW;
END $$ LANGUAGE plpgsql;

DROP FUNCTION case_milestones_row(BIGINT);
