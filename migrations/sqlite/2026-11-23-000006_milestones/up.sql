-- Each case's milestones, kept by triggers on every write path, so reports count indexed
-- timestamps instead of scanning raw events.
CREATE TABLE case_milestones (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    client_id BIGINT NOT NULL,
    referred_at TIMESTAMP NOT NULL,
    first_attempt_at TIMESTAMP,
    first_contact_at TIMESTAMP,
    first_plan_at TIMESTAMP,
    plan_confirmed_at TIMESTAMP,
    re_engaged_at TIMESTAMP,
    vulnerable_at TIMESTAMP
);
CREATE INDEX case_milestones_referred ON case_milestones (client_id, referred_at);
CREATE INDEX case_milestones_attempt ON case_milestones (client_id, first_attempt_at);
CREATE INDEX case_milestones_contact ON case_milestones (client_id, first_contact_at);
CREATE INDEX case_milestones_plan ON case_milestones (client_id, first_plan_at);
CREATE INDEX case_milestones_confirmed ON case_milestones (client_id, plan_confirmed_at);
CREATE INDEX case_milestones_re_engaged ON case_milestones (client_id, re_engaged_at);
CREATE INDEX case_milestones_vulnerable ON case_milestones (client_id, vulnerable_at);

CREATE TRIGGER case_inserted AFTER INSERT ON cases BEGIN
    INSERT INTO case_milestones (case_id, client_id, referred_at, re_engaged_at)
    VALUES (NEW.id, NEW.client_id, NEW.referred_at, NEW.re_engaged_at);
END;

CREATE TRIGGER case_re_engaged AFTER UPDATE OF re_engaged_at ON cases
WHEN NEW.re_engaged_at IS NOT OLD.re_engaged_at BEGIN
    UPDATE case_milestones SET re_engaged_at = NEW.re_engaged_at WHERE case_id = NEW.id;
END;

CREATE TRIGGER attempt_recorded AFTER INSERT ON contact_attempts BEGIN
    UPDATE case_milestones SET
        first_attempt_at = MIN(COALESCE(first_attempt_at, NEW.attempted_at), NEW.attempted_at),
        first_contact_at = CASE WHEN NEW.conversation
            THEN MIN(COALESCE(first_contact_at, NEW.attempted_at), NEW.attempted_at)
            ELSE first_contact_at END
    WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER plan_inserted AFTER INSERT ON plans BEGIN
    UPDATE case_milestones SET
        first_plan_at = MIN(COALESCE(first_plan_at, NEW.created_at), NEW.created_at),
        plan_confirmed_at = COALESCE(plan_confirmed_at, NEW.confirmed_at)
    WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER plan_confirmed AFTER UPDATE OF confirmed_at ON plans BEGIN
    UPDATE case_milestones SET plan_confirmed_at = COALESCE(plan_confirmed_at, NEW.confirmed_at)
    WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER vulnerability_recorded AFTER INSERT ON vulnerabilities BEGIN
    UPDATE case_milestones SET vulnerable_at = MIN(COALESCE(vulnerable_at, NEW.recorded_at), NEW.recorded_at)
    WHERE case_id = NEW.case_id;
END;

INSERT INTO case_milestones (case_id, client_id, referred_at, first_attempt_at, first_contact_at, first_plan_at, plan_confirmed_at, re_engaged_at, vulnerable_at)
SELECT c.id, c.client_id, c.referred_at,
    (SELECT MIN(a.attempted_at) FROM contact_attempts a WHERE a.case_id = c.id),
    (SELECT MIN(a.attempted_at) FROM contact_attempts a WHERE a.case_id = c.id AND a.conversation),
    (SELECT MIN(p.created_at) FROM plans p WHERE p.case_id = c.id),
    (SELECT MIN(p.confirmed_at) FROM plans p WHERE p.case_id = c.id),
    c.re_engaged_at,
    (SELECT MIN(v.recorded_at) FROM vulnerabilities v WHERE v.case_id = c.id)
FROM cases c;
