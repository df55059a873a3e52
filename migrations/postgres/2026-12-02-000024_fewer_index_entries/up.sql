-- `cases_client` (client_id, referred_at) repeated, for every query that reads a client's cases,
-- what the unique index on (client_id, reference) already gives: they all look a client up by
-- `client_id` alone (the portal lists by id, erasure by status and date), which that index's
-- leading column serves as well. It cost each imported case an index entry (13 % of an
-- import's database work) and each claim another.
DROP INDEX cases_client;

-- The claim queue's keys end with the case id, so two entries share a key only when one case
-- has two row versions in the queue (put back after a claim, before vacuum); deduplication
-- attempted at every page split of an import is almost always wasted work. (Bottom-up deletion
-- still clears such versions.)
ALTER INDEX cases_queue SET (deduplicate_items = off);

-- Audit entries arrive in time order, and the only look-up by time is a range (what happened in
-- a period): a BRIN index answers it at almost no cost per entry, where a btree took an entry
-- for every audited action, each claim included.
DROP INDEX audit_log_occurred;
CREATE INDEX audit_log_occurred ON audit_log USING brin (occurred_at);
