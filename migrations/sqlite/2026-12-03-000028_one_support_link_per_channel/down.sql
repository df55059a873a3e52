DROP INDEX support_links_case;
CREATE INDEX support_links_case ON support_links (case_id, organisation_id, channel);
