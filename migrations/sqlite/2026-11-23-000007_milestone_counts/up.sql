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

CREATE TRIGGER milestones_inserted AFTER INSERT ON case_milestones BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'referred', strftime('%Y-%m-%d %H:00:00', NEW.referred_at), 1 WHERE NEW.referred_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'attempted', strftime('%Y-%m-%d %H:00:00', NEW.first_attempt_at), 1 WHERE NEW.first_attempt_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'contacted', strftime('%Y-%m-%d %H:00:00', NEW.first_contact_at), 1 WHERE NEW.first_contact_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'plans_proposed', strftime('%Y-%m-%d %H:00:00', NEW.first_plan_at), 1 WHERE NEW.first_plan_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'plans_confirmed', strftime('%Y-%m-%d %H:00:00', NEW.plan_confirmed_at), 1 WHERE NEW.plan_confirmed_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 're_engaged', strftime('%Y-%m-%d %H:00:00', NEW.re_engaged_at), 1 WHERE NEW.re_engaged_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'vulnerable_identified', strftime('%Y-%m-%d %H:00:00', NEW.vulnerable_at), 1 WHERE NEW.vulnerable_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER milestone_attempted AFTER UPDATE OF first_attempt_at ON case_milestones WHEN OLD.first_attempt_at IS NOT NEW.first_attempt_at BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT OLD.client_id, 'attempted', strftime('%Y-%m-%d %H:00:00', OLD.first_attempt_at), -1 WHERE OLD.first_attempt_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'attempted', strftime('%Y-%m-%d %H:00:00', NEW.first_attempt_at), 1 WHERE NEW.first_attempt_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER milestone_contacted AFTER UPDATE OF first_contact_at ON case_milestones WHEN OLD.first_contact_at IS NOT NEW.first_contact_at BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT OLD.client_id, 'contacted', strftime('%Y-%m-%d %H:00:00', OLD.first_contact_at), -1 WHERE OLD.first_contact_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'contacted', strftime('%Y-%m-%d %H:00:00', NEW.first_contact_at), 1 WHERE NEW.first_contact_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER milestone_plans_proposed AFTER UPDATE OF first_plan_at ON case_milestones WHEN OLD.first_plan_at IS NOT NEW.first_plan_at BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT OLD.client_id, 'plans_proposed', strftime('%Y-%m-%d %H:00:00', OLD.first_plan_at), -1 WHERE OLD.first_plan_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'plans_proposed', strftime('%Y-%m-%d %H:00:00', NEW.first_plan_at), 1 WHERE NEW.first_plan_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER milestone_plans_confirmed AFTER UPDATE OF plan_confirmed_at ON case_milestones WHEN OLD.plan_confirmed_at IS NOT NEW.plan_confirmed_at BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT OLD.client_id, 'plans_confirmed', strftime('%Y-%m-%d %H:00:00', OLD.plan_confirmed_at), -1 WHERE OLD.plan_confirmed_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'plans_confirmed', strftime('%Y-%m-%d %H:00:00', NEW.plan_confirmed_at), 1 WHERE NEW.plan_confirmed_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER milestone_re_engaged AFTER UPDATE OF re_engaged_at ON case_milestones WHEN OLD.re_engaged_at IS NOT NEW.re_engaged_at BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT OLD.client_id, 're_engaged', strftime('%Y-%m-%d %H:00:00', OLD.re_engaged_at), -1 WHERE OLD.re_engaged_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 're_engaged', strftime('%Y-%m-%d %H:00:00', NEW.re_engaged_at), 1 WHERE NEW.re_engaged_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER milestone_vulnerable_identified AFTER UPDATE OF vulnerable_at ON case_milestones WHEN OLD.vulnerable_at IS NOT NEW.vulnerable_at BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT OLD.client_id, 'vulnerable_identified', strftime('%Y-%m-%d %H:00:00', OLD.vulnerable_at), -1 WHERE OLD.vulnerable_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
    INSERT INTO milestone_counts (client_id, measure, hour, n) SELECT NEW.client_id, 'vulnerable_identified', strftime('%Y-%m-%d %H:00:00', NEW.vulnerable_at), 1 WHERE NEW.vulnerable_at IS NOT NULL
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

INSERT INTO milestone_counts (client_id, measure, hour, n)
SELECT client_id, 'referred', strftime('%Y-%m-%d %H:00:00', referred_at), COUNT(*) FROM case_milestones GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'attempted', strftime('%Y-%m-%d %H:00:00', first_attempt_at), COUNT(*) FROM case_milestones WHERE first_attempt_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'contacted', strftime('%Y-%m-%d %H:00:00', first_contact_at), COUNT(*) FROM case_milestones WHERE first_contact_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'plans_proposed', strftime('%Y-%m-%d %H:00:00', first_plan_at), COUNT(*) FROM case_milestones WHERE first_plan_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'plans_confirmed', strftime('%Y-%m-%d %H:00:00', plan_confirmed_at), COUNT(*) FROM case_milestones WHERE plan_confirmed_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 're_engaged', strftime('%Y-%m-%d %H:00:00', re_engaged_at), COUNT(*) FROM case_milestones WHERE re_engaged_at IS NOT NULL GROUP BY 1, 2, 3
UNION ALL SELECT client_id, 'vulnerable_identified', strftime('%Y-%m-%d %H:00:00', vulnerable_at), COUNT(*) FROM case_milestones WHERE vulnerable_at IS NOT NULL GROUP BY 1, 2, 3;
