-- A client's policy may tighten further for some regions (a US state with stricter hours, for
-- instance). The general policy is the row with region ''; a customer's calls follow the
-- strictest of the general row and the rows for their region and its country.
ALTER TABLE contact_policies ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE contact_policies DROP CONSTRAINT contact_policies_pkey;
ALTER TABLE contact_policies ADD PRIMARY KEY (client_id, region);
