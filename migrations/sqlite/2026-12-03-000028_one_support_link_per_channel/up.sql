-- One tracked link per case, organisation and channel. The service looked for the link before
-- making one, so two compositions at once (two mail workers, or a customer's page loaded twice
-- together) could each make their own. Any such repeats keep their codes, as they may be in a
-- customer's inbox, but leave the key: their channel is marked as a repeat, so the database can
-- now keep the key itself.
UPDATE support_links
SET channel = channel || ' (repeat ' || CAST(id AS TEXT) || ')'
WHERE id NOT IN (
    SELECT MIN(id) FROM support_links GROUP BY case_id, organisation_id, channel
);
DROP INDEX support_links_case;
CREATE UNIQUE INDEX support_links_case ON support_links (case_id, organisation_id, channel);
