ALTER TABLE clients DROP COLUMN retention_days;
DROP TABLE case_erasures;
