-- Bulk imports write milestones and their counts set-wise in the same statement as the cases
-- (see intake::store); per-row triggers stand aside while `outreach.bulk` is on.
CREATE OR REPLACE FUNCTION milestone_case_inserted() RETURNS trigger AS $$
BEGIN
    IF current_setting('outreach.bulk', true) = 'on' THEN
        RETURN NEW;
    END IF;
    INSERT INTO case_milestones (case_id, client_id, referred_at, re_engaged_at)
    VALUES (NEW.id, NEW.client_id, NEW.referred_at, NEW.re_engaged_at);
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
