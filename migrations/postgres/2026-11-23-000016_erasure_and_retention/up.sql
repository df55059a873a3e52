-- A customer may ask the client to erase what is held about them, and a client may keep closed
-- cases only for a set time. An erased case keeps what reports count (dates, outcomes, amounts)
-- and loses what identifies the customer; this says when and why it was erased.
CREATE TABLE case_erasures (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    erased_at TIMESTAMP NOT NULL,
    -- request (the customer asked, through the client) | retention (the client's policy)
    reason TEXT NOT NULL
);
-- Days after closing that a client's cases are erased; NULL keeps them until asked.
ALTER TABLE clients ADD COLUMN retention_days INTEGER;
