ALTER TABLE cases DROP COLUMN re_engaged_at;
DROP TABLE email_suppressions;
DROP TABLE plan_links;
DROP TABLE plans;
