// The one portable schema for both backends: only types MultiConnection supports (BigInt,
// Integer, Text, Bool, Timestamp, Date). Migrations for each backend must match it exactly;
// `tests/api/schema_matches.rs` checks that.

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
    email_suppressions (email) {
        email -> Text,
        created_at -> Timestamp,
    }
}

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

diesel::joinable!(users -> clients (client_id));
diesel::joinable!(plans -> cases (case_id));
diesel::joinable!(plan_links -> plans (plan_id));
diesel::joinable!(support_links -> support_organisations (organisation_id));
diesel::joinable!(cases -> clients (client_id));
diesel::joinable!(contact_attempts -> cases (case_id));
diesel::joinable!(contact_attempts -> users (handler_id));
diesel::joinable!(holds -> cases (case_id));
diesel::joinable!(case_erasures -> cases (case_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    clients, users, sessions, api_credentials, audit_log, contact_policies, cases, case_erasures,
    contact_attempts,
    holds, public_holidays, handler_breaks, script_versions, vulnerabilities, escalations,
    follow_ups, debriefs, policy_exceptions, emergency_contacts, outbox, plans, plan_links,
    email_suppressions, support_organisations, support_links, support_mentions, case_milestones,
    milestone_counts,
);
