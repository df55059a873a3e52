-- "all" numbers (999, Samaritans) were shown for every customer, abroad too, where 999 reaches
-- nothing and UK services cannot send help. They are the UK's: "uk" now means any UK nation, and
-- a customer abroad gets only numbers entered for their country (calls::emergency).
UPDATE emergency_contacts SET region = 'uk' WHERE region = 'all';

-- Ireland and the United States, where a UK programme's customers most often live abroad. These
-- are for the customer (or someone with them) to call: a UK phone cannot reach them.
INSERT INTO emergency_contacts (region, service, phone, note) VALUES
    ('IE', 'Emergency services (Garda, ambulance) — immediate risk to life', '112', '999 also works in Ireland; for the customer to call'),
    ('IE', 'Samaritans Ireland — free, 24 hours', '116 123', NULL),
    ('US', 'Emergency services — immediate risk to life', '911', 'For the customer to call'),
    ('US', '988 Suicide & Crisis Lifeline — call or text, 24 hours', '988', NULL);
