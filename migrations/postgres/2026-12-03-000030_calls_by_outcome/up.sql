-- Calls counted by how they ended, per client and UTC hour, beside the milestones (migration 7):
-- a report's "calls by outcome" sums these rows rather than reading every call. The measure is
-- 'outcome:' and the outcome's name.
CREATE FUNCTION count_attempt_outcome() RETURNS trigger AS $$
BEGIN
    PERFORM bump_milestone(c.client_id, 'outcome:' || NEW.outcome, NEW.attempted_at, 1)
    FROM cases c WHERE c.id = NEW.case_id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

-- Counted when the transaction commits, as milestone changes are (migration 9): handlers record
-- outcomes at the same time, and a counter row's lock is then held for the shortest time.
CREATE CONSTRAINT TRIGGER attempt_outcome_counted AFTER INSERT ON contact_attempts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_attempt_outcome();

INSERT INTO milestone_counts (client_id, measure, hour, shard, n)
SELECT c.client_id, 'outcome:' || a.outcome, date_trunc('hour', a.attempted_at), 0, COUNT(*)
FROM contact_attempts a JOIN cases c ON c.id = a.case_id
GROUP BY 1, 2, 3;
