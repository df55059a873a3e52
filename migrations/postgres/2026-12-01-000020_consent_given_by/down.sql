ALTER TABLE vulnerabilities DROP COLUMN consented_by;
