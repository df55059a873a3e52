DROP TABLE audit_log;
DROP TABLE api_credentials;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE clients;
