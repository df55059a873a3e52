DELETE FROM support_organisations WHERE name IN ('Citizens Advice Scotland', 'Advice NI',
    'SAMH (Scottish Association for Mental Health)', 'Aware NI', 'Shelter Cymru', 'Housing Rights')
    AND NOT EXISTS (SELECT 1 FROM support_links l WHERE l.organisation_id = support_organisations.id)
    AND NOT EXISTS (SELECT 1 FROM support_mentions m WHERE m.organisation_id = support_organisations.id);
UPDATE support_organisations SET regions = 'uk'
    WHERE name IN ('Citizens Advice', 'Mind') AND regions = 'england,wales';
UPDATE support_organisations SET regions = 'uk'
    WHERE name IN ('National Debtline', 'Business Debtline') AND regions = 'england,wales,scotland';
