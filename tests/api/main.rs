//! One integration test binary: every test starts the real server on port 0 against a fresh
//! database, on SQLite always and on PostgreSQL when `OUTREACH_TEST_POSTGRES_URL` is set.

mod helpers;

mod accounts;
mod auth;
mod browser;
mod calls;
mod cli;
mod client_holds;
mod concurrency;
mod consent;
mod csv_import;
mod data_rights;
mod emergency;
mod exceptions;
mod health;
mod holds_and_rules;
mod keys;
mod large_imports;
mod leases;
mod link_limits;
mod openapi;
mod outbox;
mod passwords;
mod plan_answers;
mod plan_emails;
mod plan_requests;
mod plans;
mod queue;
mod queue_backlog;
mod referral_validation;
mod referrals;
mod report_filters;
mod report_outcomes;
mod report_schedule;
mod reports;
mod retention;
mod schema_matches;
mod script_versions;
mod staff_accessibility;
mod staff_text;
mod stop_emails;
mod supervisor;
mod support;
mod uk_holidays;
mod welfare;
