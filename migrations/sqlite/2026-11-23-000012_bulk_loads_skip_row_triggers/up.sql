-- PostgreSQL only: SQLite imports row by row and keeps its per-row triggers. Kept in step.
SELECT 1;
