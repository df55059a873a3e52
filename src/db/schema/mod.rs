//! The one portable schema for both backends: only types MultiConnection supports (BigInt,
//! Integer, Text, Bool, Timestamp, Date). Migrations for each backend must match it exactly;
//! `tests/api/schema_matches.rs` checks that. The tables are grouped by capability.

mod calls_tables;
mod cases_tables;
mod people_tables;
mod plans_tables;
mod reports_tables;
mod support_tables;

pub use calls_tables::*;
pub use cases_tables::*;
pub use people_tables::*;
pub use plans_tables::*;
pub use reports_tables::*;
pub use support_tables::*;

diesel::joinable!(users -> clients (client_id));
diesel::joinable!(plans -> cases (case_id));
diesel::joinable!(plan_links -> plans (plan_id));
diesel::joinable!(support_links -> support_organisations (organisation_id));
diesel::joinable!(cases -> clients (client_id));
diesel::joinable!(contact_attempts -> cases (case_id));
diesel::joinable!(contact_attempts -> users (handler_id));
diesel::joinable!(unrecorded_calls -> cases (case_id));
diesel::joinable!(holds -> cases (case_id));
diesel::joinable!(case_erasures -> cases (case_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    clients, users, login_failures, sessions, api_credentials, audit_log, contact_policies, cases, case_erasures,
    contact_attempts, unrecorded_calls,
    holds, public_holidays, handler_breaks, script_versions, vulnerabilities, escalations,
    follow_ups, debriefs, policy_exceptions, emergency_contacts, outbox, plans, plan_links,
    email_suppressions, support_organisations, support_links, support_mentions, case_milestones,
    milestone_counts,
);
