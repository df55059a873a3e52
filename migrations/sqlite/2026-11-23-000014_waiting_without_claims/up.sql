-- `cases_waiting` covered claimed cases too (for leases that run out). Every query asking whether
-- a handler holds a case ("status = 'claimed' AND claimed_by = …") could then be planned as a walk
-- through all waiting cases instead of one look-up in `cases_one_claim_per_handler`: it happened
-- whenever statistics were older than the waiting set (after a large import, 100,000 cases
-- scheduled since the last ANALYZE made each claim take 50 ms instead of 1). Waiting now means
-- scheduled or on hold; leases that ran out are found through the per-handler index, which
-- holds one entry per handler on a call.
DROP INDEX cases_waiting;
CREATE INDEX cases_waiting ON cases (next_contact_at) WHERE status IN ('scheduled', 'on_hold');
