DROP TRIGGER case_inserted ON cases;
CREATE TRIGGER case_inserted AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION milestone_case_inserted();
DROP TRIGGER milestones_counted ON case_milestones;
CREATE TRIGGER milestones_counted AFTER INSERT ON case_milestones FOR EACH ROW EXECUTE FUNCTION count_milestones();
