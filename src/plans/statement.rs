//! A short income and expenditure summary in the shape of the UK Standard Financial Statement:
//! monthly amounts by line, grouped in its sections. Pure functions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The statement's sections, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Income,
    FixedCosts,
    FlexibleCosts,
    Savings,
    PriorityDebts,
    NonPriorityDebts,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Income,
        Section::FixedCosts,
        Section::FlexibleCosts,
        Section::Savings,
        Section::PriorityDebts,
        Section::NonPriorityDebts,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Income => "Income",
            Section::FixedCosts => "Fixed costs",
            Section::FlexibleCosts => "Flexible costs",
            Section::Savings => "Savings",
            Section::PriorityDebts => "Priority debt payments",
            Section::NonPriorityDebts => "Non-priority debt payments",
        }
    }
}

/// One line: its key in JSON and forms, its section, and what the handler reads.
pub struct Line {
    pub key: &'static str,
    pub section: Section,
    pub label: &'static str,
}

const fn line(key: &'static str, section: Section, label: &'static str) -> Line {
    Line {
        key,
        section,
        label,
    }
}

/// Every line. The last four are totals from the first version of this summary, still accepted
/// (and read back from plans recorded then) when only a section's total is known.
pub const LINES: [Line; 23] = [
    line("earnings", Section::Income, "Earnings"),
    line("benefits", Section::Income, "Benefits and tax credits"),
    line("pensions", Section::Income, "Pensions"),
    line("other_income", Section::Income, "Other income"),
    line(
        "home_and_contents",
        Section::FixedCosts,
        "Home and contents",
    ),
    line("utilities", Section::FixedCosts, "Utilities"),
    line("water", Section::FixedCosts, "Water"),
    line("care_and_health", Section::FixedCosts, "Care and health"),
    line(
        "transport_and_travel",
        Section::FixedCosts,
        "Transport and travel",
    ),
    line("school", Section::FixedCosts, "School costs"),
    line(
        "pensions_and_insurances",
        Section::FixedCosts,
        "Pensions and insurances",
    ),
    line(
        "professional_costs",
        Section::FixedCosts,
        "Professional costs",
    ),
    line(
        "other_essential",
        Section::FixedCosts,
        "Other essential costs",
    ),
    line(
        "communications_and_leisure",
        Section::FlexibleCosts,
        "Communications and leisure",
    ),
    line(
        "food_and_housekeeping",
        Section::FlexibleCosts,
        "Food and housekeeping",
    ),
    line("personal", Section::FlexibleCosts, "Personal costs"),
    line("savings", Section::Savings, "Savings"),
    line(
        "priority_debts",
        Section::PriorityDebts,
        "Priority debts (rent, mortgage, council tax, energy…)",
    ),
    line(
        "non_priority_debts",
        Section::NonPriorityDebts,
        "Other creditors",
    ),
    line("monthly_income_minor", Section::Income, "Income (total)"),
    line(
        "fixed_costs_minor",
        Section::FixedCosts,
        "Fixed costs (total)",
    ),
    line(
        "flexible_costs_minor",
        Section::FlexibleCosts,
        "Flexible costs (total)",
    ),
    line(
        "other_debt_payments_minor",
        Section::NonPriorityDebts,
        "Other debt payments (total)",
    ),
];

/// The lines a form shows (the detailed ones, not the old totals).
pub fn form_lines() -> impl Iterator<Item = &'static Line> {
    LINES.iter().filter(|l| !is_old_total(l))
}

/// A section of the form, with its lines as (key, label).
#[derive(Serialize)]
pub struct FormSection {
    pub title: &'static str,
    pub lines: Vec<(&'static str, &'static str)>,
}

/// The form's sections in the statement's order.
pub fn form_sections() -> Vec<FormSection> {
    Section::ALL
        .iter()
        .map(|section| FormSection {
            title: section.title(),
            lines: form_lines()
                .filter(|l| l.section == *section)
                .map(|l| (l.key, l.label))
                .collect(),
        })
        .collect()
}

/// A billion a month in any currency's minor units is beyond any household: larger is a typing
/// mistake (and the sums stay far from overflowing).
pub const MAX_LINE_MINOR: i64 = 100_000_000_000;

fn is_old_total(line: &Line) -> bool {
    line.key.ends_with("_minor")
}

fn find(key: &str) -> Option<&'static Line> {
    LINES.iter().find(|l| l.key == key)
}

/// Monthly amounts in minor units by line key (`earnings`, `utilities`, `food_and_housekeeping`,
/// `savings`, `priority_debts`, `non_priority_debts`, …); lines left out are zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncomeExpenditure {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub lines: BTreeMap<String, i64>,
}

impl IncomeExpenditure {
    /// Field errors (keyed `income_expenditure.<line>`): unknown lines, amounts below zero or
    /// beyond any household's, and a section given both line by line and as an old total.
    pub fn problems(&self) -> Vec<(String, String)> {
        self.lines
            .iter()
            .filter_map(|(key, amount)| {
                let field = format!("income_expenditure.{key}");
                let Some(line) = find(key) else {
                    let known: Vec<&str> = form_lines().map(|l| l.key).collect();
                    let message = format!(
                        "is not a Standard Financial Statement line; use {}",
                        known.join(", ")
                    );
                    return Some((field, message));
                };
                let problem = if *amount < 0 {
                    "cannot be negative".to_string()
                } else if *amount > MAX_LINE_MINOR {
                    format!("must be at most {MAX_LINE_MINOR} (minor units a month)")
                } else if is_old_total(line) && self.has_detail_in(line.section) {
                    "give the section's lines or its total, not both".to_string()
                } else {
                    return None;
                };
                Some((field, problem))
            })
            .collect()
    }

    fn has_detail_in(&self, section: Section) -> bool {
        self.lines
            .keys()
            .filter_map(|key| find(key))
            .any(|line| line.section == section && !is_old_total(line))
    }

    /// A section's monthly total.
    pub fn total(&self, section: Section) -> i64 {
        self.lines
            .iter()
            .filter(|(key, _)| find(key).is_some_and(|l| l.section == section))
            .map(|(_, amount)| *amount)
            .sum()
    }

    /// What is left each month after costs, savings and other debt payments: what a new plan
    /// can be paid from.
    pub fn disposable_minor(&self) -> i64 {
        self.total(Section::Income)
            - Section::ALL[1..]
                .iter()
                .map(|section| self.total(*section))
                .sum::<i64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(lines: &[(&str, i64)]) -> IncomeExpenditure {
        IncomeExpenditure {
            lines: lines.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn sections_add_up_and_leave_what_is_disposable() {
        let ie = statement(&[
            ("earnings", 150_000),
            ("benefits", 20_000),
            ("home_and_contents", 70_000),
            ("utilities", 15_000),
            ("food_and_housekeeping", 40_000),
            ("savings", 5_000),
            ("priority_debts", 10_000),
            ("non_priority_debts", 12_000),
        ]);
        assert_eq!(ie.total(Section::Income), 170_000);
        assert_eq!(ie.total(Section::FixedCosts), 85_000);
        assert_eq!(
            ie.disposable_minor(),
            170_000 - 85_000 - 40_000 - 5_000 - 10_000 - 12_000
        );
        assert!(ie.problems().is_empty());
    }

    #[test]
    fn the_first_versions_totals_still_read() {
        let stored = r#"{"monthly_income_minor":120000,"fixed_costs_minor":90000,"flexible_costs_minor":25000,"other_debt_payments_minor":0}"#;
        let ie: IncomeExpenditure = serde_json::from_str(stored).unwrap();
        assert_eq!(ie.disposable_minor(), 5_000);
    }

    #[test]
    fn unknown_lines_and_negative_amounts_are_named() {
        let problems = statement(&[("yacht", 1), ("water", -5)]).problems();
        assert_eq!(problems[0].0, "income_expenditure.water");
        assert_eq!(problems[0].1, "cannot be negative");
        assert_eq!(problems[1].0, "income_expenditure.yacht");
        assert!(problems[1].1.contains("earnings, benefits"));
        let problems = statement(&[
            ("earnings", i64::MAX),
            ("benefits", 1),
            ("monthly_income_minor", 5),
            ("fixed_costs_minor", 5),
        ])
        .problems();
        let named: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            named,
            [
                "income_expenditure.earnings",
                "income_expenditure.monthly_income_minor"
            ],
            "a huge line, and income twice; a total alone is fine"
        );
    }
}
