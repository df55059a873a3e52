DROP TRIGGER attempt_outcome_counted ON contact_attempts;
DROP FUNCTION count_attempt_outcome();
DELETE FROM milestone_counts WHERE measure LIKE 'outcome:%';
