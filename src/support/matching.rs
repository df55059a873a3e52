//! Which organisations fit a customer: a pure function of the directory, their needs, region and
//! whether a risk was flagged.

use serde::Serialize;

/// What people need help with; organisations list the ones they cover.
pub const NEEDS: [&str; 9] = [
    "debt_advice",
    "energy",
    "housing",
    "mental_health",
    "crisis",
    "gambling",
    "bereavement",
    "benefits_grants",
    "business_debt",
];

/// Regions an organisation serves: the UK nations, or `uk` for all of them.
pub const REGIONS: [&str; 5] = ["uk", "england", "wales", "scotland", "northern_ireland"];

#[derive(Debug, Clone, Serialize, PartialEq, Eq, diesel::Queryable)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub helps_with: String,
    pub regions: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub last_checked_on: chrono::NaiveDate,
    pub retired: bool,
}

impl Organisation {
    pub fn helps_with(&self, need: &str) -> bool {
        self.helps_with.split(',').any(|n| n.trim() == need)
    }

    /// Lists `region` itself (a UK nation, or a country's code such as `IE`).
    fn serves_locally(&self, region: &str) -> bool {
        self.regions.split(',').map(str::trim).any(|r| r == region)
    }

    fn serves_all_of_the_uk(&self) -> bool {
        self.regions.split(',').map(str::trim).any(|r| r == "uk")
    }

    /// The countries it serves outside the UK, as an admin typed them ("IE, US").
    pub fn countries(&self) -> String {
        self.regions
            .split(',')
            .map(str::trim)
            .filter(|r| !REGIONS.contains(r))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Free debt advice always; crisis lines first when a risk was flagged; then whatever meets the
/// recorded needs. Retired entries and other regions' services are left out. In the UK a
/// nation's own services and UK-wide ones both serve; abroad, a country's own services do, and
/// UK-wide ones only for a need nothing there meets (a customer abroad who owes a UK creditor
/// has them as their next best free option).
pub fn matched<'a>(
    directory: &'a [Organisation],
    needs: &[&str],
    region: &str,
    risk_flagged: bool,
) -> Vec<&'a Organisation> {
    let in_uk = REGIONS.contains(&region);
    let open = || directory.iter().filter(|o| !o.retired);
    let local: Vec<&Organisation> = open()
        .filter(|o| o.serves_locally(region) || (in_uk && o.serves_all_of_the_uk()))
        .collect();
    let uk_wide: Vec<&Organisation> = open().filter(|o| o.serves_all_of_the_uk()).collect();
    // Those meeting `need` where the customer is, or, abroad with none there, the UK-wide ones.
    let for_need = |need: &str| -> Vec<&'a Organisation> {
        let here: Vec<&Organisation> = local
            .iter()
            .copied()
            .filter(|o| o.helps_with(need))
            .collect();
        if here.is_empty() && !in_uk {
            uk_wide
                .iter()
                .copied()
                .filter(|o| o.helps_with(need))
                .collect()
        } else {
            here
        }
    };
    let mut chosen: Vec<&Organisation> = Vec::new();
    let first = risk_flagged.then_some("crisis");
    for need in first
        .into_iter()
        .chain(["debt_advice"])
        .chain(needs.iter().copied())
    {
        for org in for_need(need) {
            if !chosen.iter().any(|c| c.id == org.id) {
                chosen.push(org);
            }
        }
    }
    chosen
}

/// The UK nations no open entry offers free debt advice to: every customer in arrears is to be
/// pointed to it, so a change that leaves one without is refused.
pub fn nations_without_debt_advice(directory: &[Organisation]) -> Vec<&'static str> {
    REGIONS[1..]
        .iter()
        .copied()
        .filter(|nation| {
            !directory.iter().any(|o| {
                !o.retired
                    && o.helps_with("debt_advice")
                    && (o.serves_locally(nation) || o.serves_all_of_the_uk())
            })
        })
        .collect()
}

/// A case's needs as stored ("housing,energy") → codes.
pub fn parse_needs(stored: Option<&str>) -> Vec<&str> {
    stored
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| NEEDS.contains(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, name: &str, helps: &str, regions: &str) -> Organisation {
        Organisation {
            id,
            name: name.into(),
            helps_with: helps.into(),
            regions: regions.into(),
            website: None,
            phone: None,
            opening_hours: None,
            last_checked_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            retired: false,
        }
    }

    fn directory() -> Vec<Organisation> {
        vec![
            org(1, "StepChange", "debt_advice", "uk"),
            org(2, "Samaritans", "crisis,mental_health", "uk"),
            org(3, "Shelter", "housing", "england"),
            org(4, "Shelter Scotland", "housing", "scotland"),
            org(5, "GamCare", "gambling", "uk"),
            Organisation {
                retired: true,
                ..org(6, "Old Advice", "debt_advice", "uk")
            },
        ]
    }

    fn names(list: Vec<&Organisation>) -> Vec<&str> {
        list.into_iter().map(|o| o.name.as_str()).collect()
    }

    #[test]
    fn free_debt_advice_is_always_included() {
        assert_eq!(
            names(matched(&directory(), &[], "wales", false)),
            ["StepChange"]
        );
    }

    #[test]
    fn needs_and_region_decide_the_rest() {
        let d = directory();
        assert_eq!(
            names(matched(&d, &["housing"], "scotland", false)),
            ["StepChange", "Shelter Scotland"]
        );
        assert_eq!(
            names(matched(&d, &["housing", "gambling"], "england", false)),
            ["StepChange", "Shelter", "GamCare"]
        );
    }

    #[test]
    fn crisis_lines_come_first_when_a_risk_was_flagged() {
        assert_eq!(
            names(matched(&directory(), &["housing"], "england", true)),
            ["Samaritans", "StepChange", "Shelter"]
        );
    }

    #[test]
    fn abroad_a_countrys_own_services_come_before_uk_wide_ones() {
        let mut d = directory();
        d.push(org(7, "MABS", "debt_advice", "IE"));
        // Ireland has its own free debt advice; for gambling nothing there is listed.
        assert_eq!(
            names(matched(&d, &["gambling"], "IE", false)),
            ["MABS", "GamCare"]
        );
        // Nothing listed for France: the UK-wide ones are the next best.
        assert_eq!(names(matched(&d, &[], "FR", false)), ["StepChange"]);
        // A nation's own services never reach another country.
        assert!(!names(matched(&d, &["housing"], "IE", false)).contains(&"Shelter"));
        assert_eq!(
            org(8, "Both", "energy", "wales,IE,US").countries(),
            "IE, US"
        );
    }

    #[test]
    fn a_nation_left_without_free_debt_advice_is_named() {
        let mut d = directory();
        assert!(nations_without_debt_advice(&d).is_empty());
        d[0].retired = true; // StepChange, the only open UK-wide debt advice
        assert_eq!(
            nations_without_debt_advice(&d),
            ["england", "wales", "scotland", "northern_ireland"]
        );
        d.push(org(9, "Advice NI", "debt_advice", "northern_ireland"));
        assert_eq!(
            nations_without_debt_advice(&d),
            ["england", "wales", "scotland"]
        );
    }

    #[test]
    fn retired_entries_are_never_offered() {
        assert!(!names(matched(&directory(), &[], "england", false)).contains(&"Old Advice"));
    }

    #[test]
    fn stored_needs_ignore_unknown_codes() {
        assert_eq!(
            parse_needs(Some("housing, nonsense,energy")),
            ["housing", "energy"]
        );
        assert!(parse_needs(None).is_empty());
    }
}
