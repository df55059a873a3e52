-- An inserted case's handler is checked once per statement, with its client, instead of by a
-- row trigger. A new case is never claimed, yet the row trigger's WHEN was evaluated for every
-- row an import wrote (1.7 % of the database's instructions on an import, callgrind). The
-- statement check reads the transition table `cases_have_clients` reads already; claims, which
-- are updates, are still checked by the row trigger. The same rows are refused with the same
-- error code, and the handlers are locked the same way until the insert commits; a statement
-- breaking both keys now names the client's first.
DROP TRIGGER cases_claimed_by_users ON cases;
CREATE TRIGGER cases_claimed_by_users AFTER UPDATE OF claimed_by ON cases FOR EACH ROW
    WHEN (NEW.claimed_by IS NOT NULL) EXECUTE FUNCTION cases_claimed_by_users();

CREATE OR REPLACE FUNCTION cases_have_clients() RETURNS trigger AS $$
DECLARE
    wanted BIGINT[];
    handlers BIGINT[];
    locked BIGINT;
BEGIN
    SELECT array_agg(DISTINCT client_id),
           array_agg(DISTINCT claimed_by) FILTER (WHERE claimed_by IS NOT NULL)
      INTO wanted, handlers FROM new_cases;
    PERFORM 1 FROM clients WHERE id = ANY (wanted) FOR KEY SHARE;
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked < COALESCE(cardinality(wanted), 0) THEN
        RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_client_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_client_id_fkey';
    END IF;
    IF handlers IS NOT NULL THEN
        -- As the row trigger does for a claim: lock the handlers (KEY SHARE: they may change,
        -- not go) until this commits.
        PERFORM 1 FROM users WHERE id = ANY (handlers) FOR KEY SHARE;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(handlers) THEN
            RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_claimed_by_fkey"'
                USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_claimed_by_fkey';
        END IF;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
