-- Every call that ended with no outcome recorded (the handler's claim ran out mid-call), not
-- only the latest: the customer may have been called each time, and the rolling limits (at most
-- 7 calls in 7 days) must count them all. `cases.last_attempt_at` remembered one, so a case whose
-- claims kept running out could be rung more often than the limits allow.
CREATE TABLE unrecorded_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    -- When the handler was last seen on the call.
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX unrecorded_calls_case ON unrecorded_calls (case_id, last_seen_at);

-- The one each case remembered so far: a last attempt that is not a recorded one.
INSERT INTO unrecorded_calls (case_id, last_seen_at)
SELECT c.id, c.last_attempt_at FROM cases c
WHERE c.last_attempt_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM contact_attempts a WHERE a.case_id = c.id AND a.attempted_at = c.last_attempt_at);

-- The ones before it, as far as the audit trail tells: each lapse settled before the case's
-- last attempt, at the time it was settled (at or after the handler was last seen, so never
-- earlier than the call may have been). The latest is the one above when it was a lapse.
INSERT INTO unrecorded_calls (case_id, last_seen_at)
SELECT a.entity_id, a.occurred_at FROM audit_log a JOIN cases c ON c.id = a.entity_id
WHERE a.action = 'claim_lapsed' AND a.entity = 'case' AND a.occurred_at < c.last_attempt_at;
