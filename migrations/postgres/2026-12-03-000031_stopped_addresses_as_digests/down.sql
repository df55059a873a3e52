-- A digest cannot be turned back into its address, and the earlier code, comparing addresses,
-- would match none of them: every "stop e-mails" would be forgotten. Going back is refused.
DO $$ BEGIN
    RAISE EXCEPTION 'stopped addresses are kept as digests since migration 31 and cannot be restored';
END $$;
