-- The claim queue's key ends at the referral time (see the PostgreSQL migration of the same
-- name); here the rowid, which is the case id, still orders cases equal up to there.
DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases (priority_band, arrears_since, referred_at) WHERE status = 'queued';
