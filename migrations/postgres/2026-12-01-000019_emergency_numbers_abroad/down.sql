DELETE FROM emergency_contacts WHERE region IN ('IE', 'US') AND phone IN ('112', '116 123', '911', '988');
UPDATE emergency_contacts SET region = 'all' WHERE region = 'uk';
