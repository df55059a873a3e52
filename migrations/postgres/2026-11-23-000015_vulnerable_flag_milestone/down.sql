DROP TRIGGER case_flagged_vulnerable ON cases;
DROP FUNCTION milestone_case_flagged_vulnerable();
