-- The seeded directory offered every UK customer services that cover only part of the UK:
-- Citizens Advice and Mind serve England and Wales (Scotland and Northern Ireland have their own
-- bodies), and National Debtline and Business Debtline serve England, Wales and Scotland. A
-- customer in Scotland or Northern Ireland was sent to an adviser who would turn them away.
-- Entries an admin has since changed are left as they are.
UPDATE support_organisations SET regions = 'england,wales', last_checked_on = '2026-12-01'
    WHERE name IN ('Citizens Advice', 'Mind') AND regions = 'uk';
UPDATE support_organisations SET regions = 'england,wales,scotland', last_checked_on = '2026-12-01'
    WHERE name IN ('National Debtline', 'Business Debtline') AND regions = 'uk';

-- Their counterparts in the other nations (free, as every entry is).
INSERT INTO support_organisations (name, helps_with, regions, website, phone, opening_hours, last_checked_on, created_at) VALUES
    ('Citizens Advice Scotland', 'debt_advice,benefits_grants,housing,energy', 'scotland', 'https://www.cas.org.uk', NULL, NULL, '2026-12-01', '2026-12-01 00:00:00'),
    ('Advice NI', 'debt_advice,benefits_grants,business_debt', 'northern_ireland', 'https://www.adviceni.net', NULL, NULL, '2026-12-01', '2026-12-01 00:00:00'),
    ('SAMH (Scottish Association for Mental Health)', 'mental_health', 'scotland', 'https://www.samh.org.uk', NULL, NULL, '2026-12-01', '2026-12-01 00:00:00'),
    ('Aware NI', 'mental_health', 'northern_ireland', 'https://www.aware-ni.org', NULL, NULL, '2026-12-01', '2026-12-01 00:00:00'),
    ('Shelter Cymru', 'housing', 'wales', 'https://sheltercymru.org.uk', NULL, NULL, '2026-12-01', '2026-12-01 00:00:00'),
    ('Housing Rights', 'housing', 'northern_ireland', 'https://www.housingrights.org.uk', NULL, NULL, '2026-12-01', '2026-12-01 00:00:00')
ON CONFLICT (name) DO NOTHING;
