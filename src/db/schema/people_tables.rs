//! Clients, staff, their sessions and credentials, and the audit trail.

diesel::table! {
    clients (id) {
        id -> BigInt,
        name -> Text,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        report_frequency -> Nullable<Text>,
        report_email -> Nullable<Text>,
        last_report_period -> Nullable<Text>,
        retention_days -> Nullable<Integer>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        client_id -> Nullable<BigInt>,
        active -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (user_id, address) {
        user_id -> BigInt,
        address -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_credentials (id) {
        id -> BigInt,
        kind -> Text,
        client_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        label -> Text,
        prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_user_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<BigInt>,
        client_id -> Nullable<BigInt>,
        detail -> Text,
    }
}
