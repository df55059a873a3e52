//! Plans, their links, and the mail that carries them.

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_id -> Text,
        kind -> Text,
        case_id -> Nullable<BigInt>,
        recipient -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    plans (id) {
        id -> BigInt,
        case_id -> BigInt,
        version -> Integer,
        amount_minor -> BigInt,
        currency -> Text,
        frequency -> Text,
        first_payment_on -> Date,
        email -> Text,
        income_expenditure -> Nullable<Text>,
        affordability_note -> Nullable<Text>,
        status -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        change_requested_at -> Nullable<Timestamp>,
        change_message -> Nullable<Text>,
    }
}

diesel::table! {
    plan_links (id) {
        id -> BigInt,
        plan_id -> BigInt,
        nonce -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_suppressions (address_sha256) {
        address_sha256 -> Text,
        created_at -> Timestamp,
    }
}
