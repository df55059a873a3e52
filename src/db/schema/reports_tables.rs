//! Counts kept by triggers for reports.

diesel::table! {
    /// Kept by database triggers (see the milestones migration); read by reports only.
    case_milestones (case_id) {
        case_id -> BigInt,
        client_id -> BigInt,
        referred_at -> Timestamp,
        first_attempt_at -> Nullable<Timestamp>,
        first_contact_at -> Nullable<Timestamp>,
        first_plan_at -> Nullable<Timestamp>,
        plan_confirmed_at -> Nullable<Timestamp>,
        re_engaged_at -> Nullable<Timestamp>,
        vulnerable_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Kept by database triggers on case_milestones; read by reports only.
    milestone_counts (client_id, measure, hour, shard) {
        client_id -> BigInt,
        measure -> Text,
        hour -> Timestamp,
        n -> BigInt,
        shard -> Integer,
    }
}
