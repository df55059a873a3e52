-- A vulnerability record shows who consented, as well as when, how and what they were told:
-- the customer (empty), or someone with authority to act for them, by name and role.
ALTER TABLE vulnerabilities ADD COLUMN consented_by TEXT;
