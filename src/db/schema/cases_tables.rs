//! Referred cases, the rules they follow and what happened on them.

diesel::table! {
    contact_policies (client_id, region) {
        client_id -> BigInt,
        region -> Text,
        earliest_minute -> Integer,
        latest_minute -> Integer,
        weekdays -> Text,
        max_attempts_7_days -> Integer,
        max_attempts_24_hours -> Integer,
        min_hours_between_attempts -> Integer,
        quiet_days_after_conversation -> Integer,
        max_total_attempts -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    case_erasures (case_id) {
        case_id -> BigInt,
        erased_at -> Timestamp,
        reason -> Text,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        client_id -> BigInt,
        reference -> Text,
        customer_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        region -> Text,
        timezone -> Text,
        amount_owed_minor -> BigInt,
        currency -> Text,
        days_in_arrears -> Integer,
        arrears_since -> Date,
        notes -> Nullable<Text>,
        circumstances -> Nullable<Text>,
        preferred_contact_times -> Nullable<Text>,
        status -> Text,
        closed_reason -> Nullable<Text>,
        vulnerable -> Bool,
        priority_band -> Integer,
        next_contact_at -> Nullable<Timestamp>,
        contact_window_end -> Nullable<Timestamp>,
        callback_at -> Nullable<Timestamp>,
        attempts_count -> Integer,
        last_attempt_at -> Nullable<Timestamp>,
        last_conversation_at -> Nullable<Timestamp>,
        first_contact_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<BigInt>,
        claim_expires_at -> Nullable<Timestamp>,
        referred_at -> Timestamp,
        updated_at -> Timestamp,
        re_engaged_at -> Nullable<Timestamp>,
        needs -> Nullable<Text>,
    }
}

diesel::table! {
    contact_attempts (id) {
        id -> BigInt,
        case_id -> BigInt,
        handler_id -> BigInt,
        attempted_at -> Timestamp,
        outcome -> Text,
        conversation -> Bool,
        notes -> Nullable<Text>,
        script_version_id -> Nullable<BigInt>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    unrecorded_calls (id) {
        id -> BigInt,
        case_id -> BigInt,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    holds (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        lifted_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    public_holidays (id) {
        id -> BigInt,
        region -> Text,
        holiday_date -> Date,
        name -> Text,
    }
}

diesel::table! {
    handler_breaks (id) {
        id -> BigInt,
        user_id -> BigInt,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        reason -> Text,
        created_at -> Timestamp,
    }
}
