-- Each connection takes case ids a thousand at a time instead of one by one. With one at a time,
-- every new case locked the sequence's single page, dirtied it and logged it every 32 ids, and an
-- import's two writers queued on that page for each of a million rows; now a connection touches
-- it once per thousand cases (README, Benchmarks: an import of a million rows about a tenth
-- faster). What this costs: ids still only grow within one connection, but two connections'
-- cases interleave by blocks, and the rest of a block is skipped when its connection closes, so
-- ids have gaps. Nothing reads meaning into an id beyond naming a case: the claim queue orders
-- by priority, arrears and referral time (migration 25), and lists order by dates.
ALTER SEQUENCE cases_id_seq CACHE 1000;
