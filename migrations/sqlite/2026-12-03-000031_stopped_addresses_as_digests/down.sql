-- A digest cannot be turned back into its address, and the earlier code would match none of
-- them: every "stop e-mails" would be forgotten. Going back is refused (this insert fails).
CREATE TEMP TABLE refused (stopped_addresses_cannot_be_restored_from_digests INTEGER
    CHECK (stopped_addresses_cannot_be_restored_from_digests = 0));
INSERT INTO refused VALUES (1);
