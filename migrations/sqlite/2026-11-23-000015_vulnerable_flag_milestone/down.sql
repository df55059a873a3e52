DROP TRIGGER case_flagged_vulnerable;
