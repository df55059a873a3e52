-- Two foreign keys checked once per statement instead of once per row.
--
-- A foreign key runs its check as a separate query for every row written. For a bulk import that
-- was most of the database's work: on 1,000,000 rows in 5,000-row chunks, `outreach import` took
-- 27.8 s and 54 s of CPU with these keys, 16.9 s and 32 s with the checks below (README,
-- Benchmarks). The checks here look at all the rows a statement wrote at once (its transition
-- table) and guard the other side with row triggers, so the same rows are still refused.
--
-- SQLite keeps its declared keys: it checks them inline, without the per-row query.

-- cases.client_id -> clients (id)
ALTER TABLE cases DROP CONSTRAINT cases_client_id_fkey;

CREATE FUNCTION cases_have_clients() RETURNS trigger AS $$
BEGIN
    -- As a key does, lock the clients referred to (KEY SHARE: they may change, not go) so none
    -- can be deleted before this transaction ends; then any client still missing is an error.
    PERFORM 1 FROM clients WHERE id IN (SELECT DISTINCT client_id FROM new_cases) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM new_cases n WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = n.client_id)) THEN
        RAISE EXCEPTION 'insert or update on table "cases" violates foreign key constraint "cases_client_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'cases_client_id_fkey';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER cases_have_clients AFTER INSERT ON cases REFERENCING NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION cases_have_clients();

-- A case never moves to another client; refusing that keeps the check above to inserts (a
-- statement trigger on every update would tax each claim and outcome).
CREATE FUNCTION refuse_key_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%.% cannot change', TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = TG_ARGV[0];
END $$ LANGUAGE plpgsql;
CREATE TRIGGER cases_keep_client BEFORE UPDATE OF client_id ON cases FOR EACH ROW
    WHEN (NEW.client_id IS DISTINCT FROM OLD.client_id) EXECUTE FUNCTION refuse_key_change('client_id');

-- The other side: a client with cases cannot be deleted or renumbered. A concurrent import holds
-- KEY SHARE on the client, so the delete waits for it and then, under READ COMMITTED (the
-- service's isolation level; a key would also cross-check a REPEATABLE READ snapshot), sees its
-- cases.
CREATE FUNCTION clients_keep_cases() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cases WHERE client_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "clients" violates foreign key constraint "cases_client_id_fkey" on table "cases"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'clients', CONSTRAINT = 'cases_client_id_fkey';
    END IF;
    RETURN OLD;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER clients_keep_cases BEFORE DELETE ON clients FOR EACH ROW
    EXECUTE FUNCTION clients_keep_cases();
CREATE TRIGGER clients_keep_case_ids BEFORE UPDATE OF id ON clients FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION clients_keep_cases();

-- case_milestones.case_id -> cases (id)
ALTER TABLE case_milestones DROP CONSTRAINT case_milestones_case_id_fkey;

CREATE FUNCTION milestones_have_cases() RETURNS trigger AS $$
BEGIN
    -- No lock here, unlike a key: a milestone row is only ever inserted by the transaction that
    -- inserts its case (the case trigger, or the import beside its COPY), which no other
    -- transaction can see, let alone delete; locking those rows would write each one again.
    IF EXISTS (SELECT 1 FROM new_milestones n WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = n.case_id)) THEN
        RAISE EXCEPTION 'insert or update on table "case_milestones" violates foreign key constraint "case_milestones_case_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'case_milestones', CONSTRAINT = 'case_milestones_case_id_fkey';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER milestones_have_cases AFTER INSERT ON case_milestones REFERENCING NEW TABLE AS new_milestones
    FOR EACH STATEMENT EXECUTE FUNCTION milestones_have_cases();
CREATE TRIGGER milestones_keep_case BEFORE UPDATE OF case_id ON case_milestones FOR EACH ROW
    WHEN (NEW.case_id IS DISTINCT FROM OLD.case_id) EXECUTE FUNCTION refuse_key_change('case_id');

CREATE FUNCTION cases_keep_milestones() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM case_milestones WHERE case_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "cases" violates foreign key constraint "case_milestones_case_id_fkey" on table "case_milestones"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'cases', CONSTRAINT = 'case_milestones_case_id_fkey';
    END IF;
    RETURN OLD;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER cases_keep_milestones BEFORE DELETE ON cases FOR EACH ROW
    EXECUTE FUNCTION cases_keep_milestones();
CREATE TRIGGER cases_keep_milestone_ids BEFORE UPDATE OF id ON cases FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION cases_keep_milestones();
