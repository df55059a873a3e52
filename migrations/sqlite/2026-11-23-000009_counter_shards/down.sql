DROP TRIGGER attempt_recorded;
CREATE TRIGGER attempt_recorded AFTER INSERT ON contact_attempts BEGIN
    UPDATE case_milestones SET
        first_attempt_at = MIN(COALESCE(first_attempt_at, NEW.attempted_at), NEW.attempted_at),
        first_contact_at = CASE WHEN NEW.conversation
            THEN MIN(COALESCE(first_contact_at, NEW.attempted_at), NEW.attempted_at)
            ELSE first_contact_at END
    WHERE case_id = NEW.case_id;
END;

DROP INDEX case_milestones_attempt;
DROP INDEX case_milestones_contact;
DROP INDEX case_milestones_plan;
DROP INDEX case_milestones_confirmed;
DROP INDEX case_milestones_re_engaged;
DROP INDEX case_milestones_vulnerable;
CREATE INDEX case_milestones_attempt ON case_milestones (client_id, first_attempt_at);
CREATE INDEX case_milestones_contact ON case_milestones (client_id, first_contact_at);
CREATE INDEX case_milestones_plan ON case_milestones (client_id, first_plan_at);
CREATE INDEX case_milestones_confirmed ON case_milestones (client_id, plan_confirmed_at);
CREATE INDEX case_milestones_re_engaged ON case_milestones (client_id, re_engaged_at);
CREATE INDEX case_milestones_vulnerable ON case_milestones (client_id, vulnerable_at);

ALTER TABLE milestone_counts DROP COLUMN shard;
