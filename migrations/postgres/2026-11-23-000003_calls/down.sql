DROP TABLE outbox;
DROP TABLE emergency_contacts;
DROP TABLE policy_exceptions;
DROP TABLE debriefs;
DROP TABLE follow_ups;
DROP TABLE escalations;
DROP TABLE vulnerabilities;
DROP TABLE script_versions;
