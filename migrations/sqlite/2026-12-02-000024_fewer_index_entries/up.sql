-- `cases_client` (client_id, referred_at) repeated what the unique index on (client_id,
-- reference) gives every query that looks a client's cases up by `client_id` (see the
-- PostgreSQL migration of the same name).
DROP INDEX cases_client;
