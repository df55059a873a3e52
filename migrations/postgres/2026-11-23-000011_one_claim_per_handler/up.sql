-- A handler holds at most one case at a time, enforced by the database: two claims sent by the
-- same handler at the same instant (two tabs, a double click, two instances) can no longer both
-- take a case. The second one fails on this index and is answered with the case already held.
-- Claims that ran out but were not yet put back in the queue would collide with it, so they are
-- put back first (a handler's latest claim is kept).
UPDATE cases SET status = 'queued', claimed_by = NULL, claim_expires_at = NULL
WHERE status = 'claimed' AND EXISTS (
    SELECT 1 FROM cases later
    WHERE later.status = 'claimed' AND later.claimed_by = cases.claimed_by
      AND (later.claim_expires_at > cases.claim_expires_at
           OR (later.claim_expires_at = cases.claim_expires_at AND later.id > cases.id)));
DROP INDEX cases_claimed_by;
CREATE UNIQUE INDEX cases_one_claim_per_handler ON cases (claimed_by) WHERE status = 'claimed';
