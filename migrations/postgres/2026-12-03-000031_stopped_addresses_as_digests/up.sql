-- An address that asked for no more e-mail is kept as its SHA-256 digest (hex), not as itself.
-- The stop has to outlive the customer's erasure (or the next referral of them is e-mailed), but
-- the address is personal data that erasure removes: a digest still answers "has this address
-- said stop?" for an address in hand, and gives no list of addresses to anyone reading the table.
-- Addresses were stored lower-cased (mail::outbox), the form the service digests.
ALTER TABLE email_suppressions RENAME COLUMN email TO address_sha256;
UPDATE email_suppressions SET address_sha256 = encode(sha256(convert_to(address_sha256, 'UTF8')), 'hex');
