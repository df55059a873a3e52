-- "Vulnerable customers identified" followed only vulnerability records (drivers, with consent).
-- A call ending "vulnerable and escalated" flags the case without one and went uncounted. The
-- milestone now follows the case's flag, whichever way it was set.
CREATE TRIGGER case_flagged_vulnerable AFTER UPDATE OF vulnerable ON cases
WHEN NEW.vulnerable AND NOT OLD.vulnerable BEGIN
    UPDATE case_milestones
    SET vulnerable_at = MIN(COALESCE(vulnerable_at, NEW.updated_at), NEW.updated_at)
    WHERE case_id = NEW.id;
END;

-- Cases escalated that way before: identified when the call was made.
UPDATE case_milestones SET vulnerable_at = (
    SELECT MIN(a.attempted_at) FROM contact_attempts a
    WHERE a.case_id = case_milestones.case_id AND a.outcome = 'vulnerable_escalated')
WHERE vulnerable_at IS NULL AND EXISTS (
    SELECT 1 FROM contact_attempts a
    WHERE a.case_id = case_milestones.case_id AND a.outcome = 'vulnerable_escalated');
