-- Writing a case does no work per row that a statement can do once.
--
-- Two per-row steps ran for every case a bulk import wrote, with nothing to do:
-- * the key on `claimed_by`: a foreign key queues a check for every row inserted, then reads the
--   row back to find the column NULL (a new case is never claimed) — 8.5 % of the database's
--   instructions on a 100,000-row import (callgrind, README Benchmarks);
-- * the referral count: a row trigger whose WHEN read a setting on every row to learn that the
--   import counts its rows itself (`outreach.bulk`).
-- Now a statement trigger counts the referrals of all the cases a statement inserted (unless it
-- counts its own), and `claimed_by` is checked by a row trigger that only fires when a case is
-- actually claimed. The same rows are refused with the same errors, and counted the same.

-- cases.claimed_by -> users (id)
ALTER TABLE cases DROP CONSTRAINT cases_claimed_by_fkey;

CREATE FUNCTION cases_claimed_by_users() RETURNS trigger AS $$
BEGIN
    -- As the key did: lock the handler (KEY SHARE: they may change, not go) until this commits.
    PERFORM 1 FROM users WHERE id = NEW.claimed_by FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_claimed_by_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_claimed_by_fkey';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
-- The WHEN is checked as the row is written: an unclaimed case queues nothing.
CREATE TRIGGER cases_claimed_by_users AFTER INSERT OR UPDATE OF claimed_by ON cases FOR EACH ROW
    WHEN (NEW.claimed_by IS NOT NULL) EXECUTE FUNCTION cases_claimed_by_users();

-- The other side: a handler holding a case cannot be deleted or renumbered (a concurrent claim
-- holds KEY SHARE on them, so the delete waits for it and then sees the claim).
CREATE FUNCTION users_keep_claims() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cases WHERE claimed_by = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "users" violates foreign key constraint "cases_claimed_by_fkey" on table "cases"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'users', CONSTRAINT = 'cases_claimed_by_fkey';
    END IF;
    RETURN OLD;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER users_keep_claims BEFORE DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION users_keep_claims();
CREATE TRIGGER users_keep_claim_ids BEFORE UPDATE OF id ON users FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION users_keep_claims();

-- New cases' referrals counted per hour into this connection's shard (migration 9), once per
-- statement, unless an import counts them itself (`outreach.bulk`, intake::store: it knows its
-- rows' hours without reading them back). Their clients are still checked by
-- `cases_have_clients` (migration 21), over the same transition table and first (statement
-- triggers fire in name order), so a case for no client fails on that check, not on a count.
DROP TRIGGER case_inserted ON cases;
DROP FUNCTION milestone_case_inserted();

CREATE FUNCTION count_referrals() RETURNS trigger AS $$
BEGIN
    IF current_setting('outreach.bulk', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO milestone_counts (client_id, measure, hour, shard, n)
        SELECT client_id, 'referred', date_trunc('hour', referred_at), pg_backend_pid() % 8, COUNT(*)
        FROM new_cases GROUP BY client_id, date_trunc('hour', referred_at)
        ON CONFLICT (client_id, measure, hour, shard) DO UPDATE SET n = milestone_counts.n + EXCLUDED.n;
        -- A case written already re-engaged has reached a milestone (migration 21).
        INSERT INTO case_milestones (case_id, client_id, referred_at, re_engaged_at)
        SELECT id, client_id, referred_at, re_engaged_at FROM new_cases WHERE re_engaged_at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER cases_referrals_counted AFTER INSERT ON cases REFERENCING NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION count_referrals();
