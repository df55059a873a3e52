-- Repayment plans the customer chose. Every change is a new version; nothing about how the
-- customer will pay is ever stored.
CREATE TABLE plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    version INTEGER NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'fortnightly', 'monthly')),
    first_payment_on DATE NOT NULL,
    email TEXT NOT NULL,
    income_expenditure TEXT,
    affordability_note TEXT,
    status TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    change_requested_at TIMESTAMP,
    change_message TEXT,
    UNIQUE (case_id, version)
);

-- Links e-mailed to customers. The token itself is never stored: only its hash, and a nonce
-- from which the server (holding the secret key) derives it when sending.
CREATE TABLE plan_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    nonce TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Addresses that asked for no more e-mail; honoured before every send.
CREATE TABLE email_suppressions (
    email TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE cases ADD COLUMN re_engaged_at TIMESTAMP;
