DROP INDEX cases_one_claim_per_handler;
CREATE INDEX cases_claimed_by ON cases (claimed_by) WHERE status = 'claimed';
