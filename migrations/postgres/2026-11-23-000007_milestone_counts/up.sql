-- Milestones counted per client, measure and UTC hour, kept by triggers on case_milestones.
-- Report periods start at UK midnight, which is always a whole UTC hour, so sums over these
-- rows are exact and a year of figures is at most 8,760 rows per measure.
CREATE TABLE milestone_counts (
    client_id BIGINT NOT NULL,
    measure TEXT NOT NULL,
    hour TIMESTAMP NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (client_id, measure, hour)
);

CREATE FUNCTION bump_milestone(c BIGINT, m TEXT, at TIMESTAMP, delta BIGINT) RETURNS void AS $$
BEGIN
    IF at IS NOT NULL THEN
        INSERT INTO milestone_counts (client_id, measure, hour, n) VALUES (c, m, date_trunc('hour', at), delta)
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = milestone_counts.n + EXCLUDED.n;
    END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION count_milestones() RETURNS trigger AS $$
BEGIN
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
CREATE TRIGGER milestones_counted AFTER INSERT OR UPDATE ON case_milestones FOR EACH ROW EXECUTE FUNCTION count_milestones();

INSERT INTO milestone_counts (client_id, measure, hour, n)
SELECT client_id, 'referred', date_trunc('hour', referred_at), COUNT(*) FROM case_milestones GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'attempted', date_trunc('hour', first_attempt_at), COUNT(*) FROM case_milestones WHERE first_attempt_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'contacted', date_trunc('hour', first_contact_at), COUNT(*) FROM case_milestones WHERE first_contact_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'plans_proposed', date_trunc('hour', first_plan_at), COUNT(*) FROM case_milestones WHERE first_plan_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'plans_confirmed', date_trunc('hour', plan_confirmed_at), COUNT(*) FROM case_milestones WHERE plan_confirmed_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 're_engaged', date_trunc('hour', re_engaged_at), COUNT(*) FROM case_milestones WHERE re_engaged_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'vulnerable_identified', date_trunc('hour', vulnerable_at), COUNT(*) FROM case_milestones WHERE vulnerable_at IS NOT NULL GROUP BY 1, 2, 3;
