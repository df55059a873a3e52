-- An address that asked for no more e-mail is kept as its SHA-256 digest (hex), not as itself:
-- see the PostgreSQL migration. `outreach_sha256_hex` is registered on the connection by the
-- service's migration runner (db::migrate), as SQLite has no digest of its own.
ALTER TABLE email_suppressions RENAME COLUMN email TO address_sha256;
UPDATE email_suppressions SET address_sha256 = outreach_sha256_hex(address_sha256);
