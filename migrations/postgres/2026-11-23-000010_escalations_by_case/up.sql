-- Every claim asks whether a risk to life was ever escalated on the case.
CREATE INDEX escalations_case ON escalations (case_id);
