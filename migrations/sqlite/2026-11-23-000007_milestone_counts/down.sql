DROP TRIGGER milestones_inserted;
DROP TRIGGER milestone_attempted;
DROP TRIGGER milestone_contacted;
DROP TRIGGER milestone_plans_proposed;
DROP TRIGGER milestone_plans_confirmed;
DROP TRIGGER milestone_re_engaged;
DROP TRIGGER milestone_vulnerable_identified;
DROP TABLE milestone_counts;
