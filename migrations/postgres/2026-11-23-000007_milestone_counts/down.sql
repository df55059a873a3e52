DROP TRIGGER milestones_counted ON case_milestones;
DROP FUNCTION count_milestones();
DROP FUNCTION bump_milestone(BIGINT, TEXT, TIMESTAMP, BIGINT);
DROP TABLE milestone_counts;
