-- The mail workers claim rows that are pending, and rows whose sender's lease ran out
-- ("sending"), in the order they fell due: the old index held pending rows only, so the claim
-- could not use it and every instance read the whole outbox (sent rows are kept) each second.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status IN ('pending', 'sending');
-- A case's mail: whether one is already queued, its export, its erasure.
CREATE INDEX outbox_case ON outbox (case_id, kind);
