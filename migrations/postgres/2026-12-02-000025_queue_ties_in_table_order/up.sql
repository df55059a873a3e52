-- The claim queue's key ends at the referral time, no longer at the case id. Cases equal up to
-- there were referred in the same instant (a file's rows, or a batch's), and among themselves
-- they come in the order the index keeps them: where each case's row is in the table, usually
-- the order they were stored (not after a case is put back, or its row lands in space vacuum
-- freed). Without the id each entry is a quarter smaller and an import takes about a twentieth
-- less time (README, Benchmarks): a file's cases land all over this index, one entry per case.
--
-- Deduplication stays off: a file's cases now share keys, and a deduplicated entry holds many
-- cases, which a scan can mark as gone only once every one of them has been claimed; claims
-- would walk the claimed cases at the head of the queue again and again until vacuum.
DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases (priority_band, arrears_since, referred_at)
    WITH (deduplicate_items = off) WHERE status = 'queued';
