-- Calls counted by how they ended, per client and UTC hour, beside the milestones (migration 7):
-- a report's "calls by outcome" sums these rows rather than reading every call. The measure is
-- 'outcome:' and the outcome's name. One writer at a time: everything in shard 0 (migration 9).
CREATE TRIGGER attempt_outcome_counted AFTER INSERT ON contact_attempts BEGIN
    INSERT INTO milestone_counts (client_id, measure, hour, n)
        SELECT c.client_id, 'outcome:' || NEW.outcome, strftime('%Y-%m-%d %H:00:00', NEW.attempted_at), 1
        FROM cases c WHERE c.id = NEW.case_id
        ON CONFLICT (client_id, measure, hour) DO UPDATE SET n = n + excluded.n;
END;

INSERT INTO milestone_counts (client_id, measure, hour, n)
SELECT c.client_id, 'outcome:' || a.outcome, strftime('%Y-%m-%d %H:00:00', a.attempted_at), COUNT(*)
FROM contact_attempts a JOIN cases c ON c.id = a.case_id
GROUP BY 1, 2, 3;
