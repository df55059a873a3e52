DROP TRIGGER cases_referrals_counted ON cases;
DROP FUNCTION count_referrals();

CREATE FUNCTION milestone_case_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM bump_milestone(NEW.client_id, 'referred', NEW.referred_at, 1);
    IF NEW.re_engaged_at IS NOT NULL THEN
        INSERT INTO case_milestones (case_id, client_id, referred_at, re_engaged_at)
        VALUES (NEW.id, NEW.client_id, NEW.referred_at, NEW.re_engaged_at);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER case_inserted AFTER INSERT ON cases FOR EACH ROW
    WHEN (current_setting('outreach.bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION milestone_case_inserted();

DROP TRIGGER users_keep_claim_ids ON users;
DROP TRIGGER users_keep_claims ON users;
DROP FUNCTION users_keep_claims();
DROP TRIGGER cases_claimed_by_users ON cases;
DROP FUNCTION cases_claimed_by_users();
ALTER TABLE cases ADD CONSTRAINT cases_claimed_by_fkey FOREIGN KEY (claimed_by) REFERENCES users (id);
