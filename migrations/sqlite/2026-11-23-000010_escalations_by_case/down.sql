DROP INDEX escalations_case;
