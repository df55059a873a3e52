//! What handlers and supervisors record around calls.

diesel::table! {
    script_versions (id) {
        id -> BigInt,
        body -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    vulnerabilities (id) {
        id -> BigInt,
        case_id -> BigInt,
        drivers -> Text,
        consent -> Bool,
        consent_how -> Nullable<Text>,
        consented_by -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    escalations (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        note -> Nullable<Text>,
        raised_by -> BigInt,
        raised_at -> Timestamp,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> BigInt,
        handler_id -> BigInt,
        case_id -> Nullable<BigInt>,
        reason -> Text,
        requested_at -> Timestamp,
        completed_by -> Nullable<BigInt>,
        completed_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    debriefs (id) {
        id -> BigInt,
        handler_id -> BigInt,
        case_id -> Nullable<BigInt>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    policy_exceptions (id) {
        id -> BigInt,
        case_id -> BigInt,
        proposed_by -> BigInt,
        arrangement -> Text,
        reason -> Text,
        status -> Text,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    emergency_contacts (id) {
        id -> BigInt,
        region -> Text,
        service -> Text,
        phone -> Text,
        note -> Nullable<Text>,
    }
}
