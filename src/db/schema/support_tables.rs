//! The support directory and what customers were offered.

diesel::table! {
    support_organisations (id) {
        id -> BigInt,
        name -> Text,
        helps_with -> Text,
        regions -> Text,
        website -> Nullable<Text>,
        phone -> Nullable<Text>,
        opening_hours -> Nullable<Text>,
        last_checked_on -> Date,
        retired -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    support_links (id) {
        id -> BigInt,
        code -> Text,
        case_id -> BigInt,
        organisation_id -> BigInt,
        channel -> Text,
        created_at -> Timestamp,
        first_opened_at -> Nullable<Timestamp>,
        opens -> Integer,
    }
}

diesel::table! {
    support_mentions (id) {
        id -> BigInt,
        case_id -> BigInt,
        organisation_id -> BigInt,
        handler_id -> BigInt,
        created_at -> Timestamp,
    }
}
