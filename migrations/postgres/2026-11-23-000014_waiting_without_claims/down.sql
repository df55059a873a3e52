DROP INDEX cases_waiting;
CREATE INDEX cases_waiting ON cases (next_contact_at) WHERE status IN ('scheduled', 'on_hold', 'claimed');
