DELETE FROM contact_policies WHERE region <> '';
ALTER TABLE contact_policies DROP CONSTRAINT contact_policies_pkey;
ALTER TABLE contact_policies DROP COLUMN region;
ALTER TABLE contact_policies ADD PRIMARY KEY (client_id);
