CREATE OR REPLACE FUNCTION cases_have_clients() RETURNS trigger AS $$
DECLARE
    wanted BIGINT[];
    locked BIGINT;
BEGIN
    SELECT array_agg(DISTINCT client_id) INTO wanted FROM new_cases;
    PERFORM 1 FROM clients WHERE id = ANY (wanted) FOR KEY SHARE;
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked < COALESCE(cardinality(wanted), 0) THEN
        RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_client_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_client_id_fkey';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

DROP TRIGGER cases_claimed_by_users ON cases;
CREATE TRIGGER cases_claimed_by_users AFTER INSERT OR UPDATE OF claimed_by ON cases FOR EACH ROW
    WHEN (NEW.claimed_by IS NOT NULL) EXECUTE FUNCTION cases_claimed_by_users();
