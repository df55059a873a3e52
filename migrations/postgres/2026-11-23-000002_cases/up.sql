-- Per-client contact policy; absent means the defaults. Only ever stricter than the defaults.
CREATE TABLE contact_policies (
    client_id BIGINT PRIMARY KEY REFERENCES clients (id),
    earliest_minute INTEGER NOT NULL,
    latest_minute INTEGER NOT NULL,
    weekdays TEXT NOT NULL,
    max_attempts_7_days INTEGER NOT NULL,
    max_attempts_24_hours INTEGER NOT NULL,
    min_hours_between_attempts INTEGER NOT NULL,
    quiet_days_after_conversation INTEGER NOT NULL,
    max_total_attempts INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A referred customer and where they are in the programme.
-- status: queued (due now) | claimed (a handler has it) | scheduled (waiting for next_contact_at)
--         | on_hold | closed
CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    reference TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    region TEXT NOT NULL,
    timezone TEXT NOT NULL,
    amount_owed_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    days_in_arrears INTEGER NOT NULL,
    arrears_since DATE NOT NULL,
    notes TEXT,
    circumstances TEXT,
    preferred_contact_times TEXT,
    status TEXT NOT NULL,
    closed_reason TEXT,
    vulnerable BOOLEAN NOT NULL DEFAULT FALSE,
    priority_band INTEGER NOT NULL,
    next_contact_at TIMESTAMP,
    contact_window_end TIMESTAMP,
    callback_at TIMESTAMP,
    attempts_count INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMP,
    last_conversation_at TIMESTAMP,
    first_contact_at TIMESTAMP,
    claimed_by BIGINT REFERENCES users (id),
    claim_expires_at TIMESTAMP,
    referred_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (client_id, reference)
);
-- The queue in priority order: due callbacks, vulnerability, longest in arrears, oldest referral.
CREATE INDEX cases_queue ON cases (priority_band, arrears_since, referred_at, id) WHERE status = 'queued';
-- Cases waiting for a time: promoted to the queue when it comes.
CREATE INDEX cases_waiting ON cases (next_contact_at) WHERE status IN ('scheduled', 'on_hold', 'claimed');
CREATE INDEX cases_claimed_by ON cases (claimed_by) WHERE status = 'claimed';
CREATE INDEX cases_client ON cases (client_id, referred_at);

CREATE TABLE contact_attempts (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    handler_id BIGINT NOT NULL REFERENCES users (id),
    attempted_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL,
    conversation BOOLEAN NOT NULL,
    notes TEXT,
    script_version_id BIGINT,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_attempts_case ON contact_attempts (case_id, attempted_at);
CREATE INDEX contact_attempts_handler ON contact_attempts (handler_id, recorded_at);

-- kind: breathing_space | breathing_space_mental_health | dispute | deceased | do_not_contact
--       | vulnerability_escalated | needs_time | risk_to_life
CREATE TABLE holds (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    lifted_at TIMESTAMP,
    note TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX holds_case ON holds (case_id);

-- Holidays beyond the computed UK bank holidays (one-off days, other countries).
CREATE TABLE public_holidays (
    id BIGSERIAL PRIMARY KEY,
    region TEXT NOT NULL,
    holiday_date DATE NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (region, holiday_date)
);

CREATE TABLE handler_breaks (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX handler_breaks_user ON handler_breaks (user_id, ends_at);
