DROP TABLE handler_breaks;
DROP TABLE public_holidays;
DROP TABLE holds;
DROP TABLE contact_attempts;
DROP TABLE cases;
DROP TABLE contact_policies;
