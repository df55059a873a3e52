CREATE INDEX cases_client ON cases (client_id, referred_at);
