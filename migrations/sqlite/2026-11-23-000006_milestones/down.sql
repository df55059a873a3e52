DROP TRIGGER vulnerability_recorded;
DROP TRIGGER plan_confirmed;
DROP TRIGGER plan_inserted;
DROP TRIGGER attempt_recorded;
DROP TRIGGER case_re_engaged;
DROP TRIGGER case_inserted;
DROP TABLE case_milestones;
