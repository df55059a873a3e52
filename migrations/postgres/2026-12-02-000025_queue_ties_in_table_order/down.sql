DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases (priority_band, arrears_since, referred_at, id)
    WITH (deduplicate_items = off) WHERE status = 'queued';
