-- Bulk imports stream cases and their milestone rows with COPY and count them themselves
-- (intake::store). The per-row triggers already did nothing while `outreach.bulk` is on, but
-- each row still queued a trigger event and called PL/pgSQL to find that out (about a sixth of a
-- million-row import). A WHEN condition is checked as the row is written, so no event is queued.
DROP TRIGGER case_inserted ON cases;
CREATE TRIGGER case_inserted AFTER INSERT ON cases FOR EACH ROW
    WHEN (current_setting('outreach.bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION milestone_case_inserted();
DROP TRIGGER milestones_counted ON case_milestones;
CREATE TRIGGER milestones_counted AFTER INSERT ON case_milestones FOR EACH ROW
    WHEN (current_setting('outreach.bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION count_milestones();
