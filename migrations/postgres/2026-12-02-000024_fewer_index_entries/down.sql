DROP INDEX audit_log_occurred;
CREATE INDEX audit_log_occurred ON audit_log (occurred_at);
ALTER INDEX cases_queue RESET (deduplicate_items);
CREATE INDEX cases_client ON cases (client_id, referred_at);
