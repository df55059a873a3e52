-- Call scripts: every save is a new version; the newest is in use.
CREATE TABLE script_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- Vulnerability records: only what is needed, with the customer's consent recorded.
CREATE TABLE vulnerabilities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    drivers TEXT NOT NULL,
    consent BOOLEAN NOT NULL,
    consent_how TEXT,
    note TEXT,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX vulnerabilities_case ON vulnerabilities (case_id);

-- Escalations for supervisors: risk to life first of all.
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    note TEXT,
    raised_by BIGINT NOT NULL REFERENCES users (id),
    raised_at TIMESTAMP NOT NULL,
    resolved_by BIGINT REFERENCES users (id),
    resolved_at TIMESTAMP
);
CREATE INDEX escalations_open ON escalations (resolved_at);

-- A supervisor follows up with a handler after a difficult (e.g. abusive) call.
CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handler_id BIGINT NOT NULL REFERENCES users (id),
    case_id BIGINT REFERENCES cases (id),
    reason TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    completed_by BIGINT REFERENCES users (id),
    completed_at TIMESTAMP,
    note TEXT
);

CREATE TABLE debriefs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handler_id BIGINT NOT NULL REFERENCES users (id),
    case_id BIGINT REFERENCES cases (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Two-person exceptions: proposed by one handler, decided by another, reviewed by a supervisor.
CREATE TABLE policy_exceptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    proposed_by BIGINT NOT NULL REFERENCES users (id),
    arrangement TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- Emergency and non-emergency numbers by the customer's region ('all' applies everywhere).
CREATE TABLE emergency_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region TEXT NOT NULL,
    service TEXT NOT NULL,
    phone TEXT NOT NULL,
    note TEXT
);

-- Durable outbox: a message is written in the same transaction as what caused it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    recipient TEXT NOT NULL,
    -- The template's context as JSON; the message is rendered when sent.
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

INSERT INTO emergency_contacts (region, service, phone, note) VALUES
    ('all', 'Emergency services (police, ambulance) — immediate risk to life', '999', '112 also works from any phone'),
    ('all', 'Samaritans — free, 24 hours', '116 123', 'Any time, any reason'),
    ('england', 'NHS 111 — urgent mental health support (option 2)', '111', NULL),
    ('wales', 'NHS 111 Wales — urgent mental health support (option 2)', '111', NULL),
    ('scotland', 'NHS 24 — urgent mental health support', '111', NULL),
    ('northern_ireland', 'Lifeline — crisis support', '0808 808 8000', NULL),
    ('england', 'Police non-emergency', '101', NULL),
    ('wales', 'Police non-emergency', '101', NULL),
    ('scotland', 'Police Scotland non-emergency', '101', NULL),
    ('northern_ireland', 'PSNI non-emergency', '101', NULL);
