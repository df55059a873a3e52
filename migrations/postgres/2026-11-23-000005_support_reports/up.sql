-- Free support organisations. helps_with and regions are comma-separated codes.
CREATE TABLE support_organisations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    helps_with TEXT NOT NULL,
    regions TEXT NOT NULL,
    website TEXT,
    phone TEXT,
    opening_hours TEXT,
    last_checked_on DATE NOT NULL,
    retired BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

-- Every link shown to a customer goes through /s/<code>, which counts the click.
CREATE TABLE support_links (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    organisation_id BIGINT NOT NULL REFERENCES support_organisations (id),
    channel TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    first_opened_at TIMESTAMP,
    opens INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX support_links_case ON support_links (case_id, organisation_id, channel);
CREATE INDEX support_links_created ON support_links (created_at);

-- Organisations a handler mentioned on a call.
CREATE TABLE support_mentions (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    organisation_id BIGINT NOT NULL REFERENCES support_organisations (id),
    handler_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- What the customer needs help with (comma-separated codes), recorded on the call.
ALTER TABLE cases ADD COLUMN needs TEXT;
-- Scheduled re-engagement reports: weekly or monthly, to this address.
ALTER TABLE clients ADD COLUMN report_frequency TEXT;
ALTER TABLE clients ADD COLUMN report_email TEXT;
ALTER TABLE clients ADD COLUMN last_report_period TEXT;

CREATE INDEX contact_attempts_time ON contact_attempts (attempted_at);
CREATE INDEX plans_created ON plans (created_at);
CREATE INDEX holds_created ON holds (created_at);

INSERT INTO support_organisations (name, helps_with, regions, website, phone, opening_hours, last_checked_on, created_at) VALUES
    ('MoneyHelper', 'debt_advice', 'uk', 'https://www.moneyhelper.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('StepChange Debt Charity', 'debt_advice', 'uk', 'https://www.stepchange.org', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('National Debtline', 'debt_advice', 'uk', 'https://www.nationaldebtline.org', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('Citizens Advice', 'debt_advice,benefits_grants,housing,energy', 'uk', 'https://www.citizensadvice.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('Business Debtline', 'business_debt', 'uk', 'https://businessdebtline.org', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('Samaritans', 'crisis,mental_health,bereavement', 'uk', 'https://www.samaritans.org', '116 123', '24 hours a day, every day', '2026-11-01', '2026-11-01 00:00:00'),
    ('Mind', 'mental_health', 'uk', 'https://www.mind.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('Shelter', 'housing', 'england', 'https://www.shelter.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('Shelter Scotland', 'housing', 'scotland', 'https://scotland.shelter.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('Turn2us', 'benefits_grants', 'uk', 'https://www.turn2us.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00'),
    ('GamCare', 'gambling', 'uk', 'https://www.gamcare.org.uk', NULL, NULL, '2026-11-01', '2026-11-01 00:00:00');
