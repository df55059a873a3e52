DROP TRIGGER attempt_outcome_counted;
DELETE FROM milestone_counts WHERE measure LIKE 'outcome:%';
