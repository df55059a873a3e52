//! The plan's terms as the customer chose them, checked; affordability and the plan in words.
//! Pure functions.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    domain::{Currency, Email, Money},
    error::FieldErrors,
    payment_guard,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Weekly,
    Fortnightly,
    Monthly,
}

impl Frequency {
    pub fn parse(raw: &str) -> Option<Frequency> {
        match raw.trim() {
            "weekly" => Some(Frequency::Weekly),
            "fortnightly" => Some(Frequency::Fortnightly),
            "monthly" => Some(Frequency::Monthly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Fortnightly => "fortnightly",
            Frequency::Monthly => "monthly",
        }
    }

    fn in_words(self) -> &'static str {
        match self {
            Frequency::Weekly => "every week",
            Frequency::Fortnightly => "every two weeks",
            Frequency::Monthly => "every month",
        }
    }

    /// The same payments as a monthly amount (52 weeks and 26 fortnights to the year), to the
    /// nearest minor unit, halves up: £12.50 a week is £54.17 a month (£54.1666…), as the
    /// customer working it out would say, not £54.16.
    pub fn monthly_equivalent(self, amount_minor: i64) -> i64 {
        let per_year = match self {
            Frequency::Weekly => 52,
            Frequency::Fortnightly => 26,
            Frequency::Monthly => return amount_minor,
        };
        let monthly = (i128::from(amount_minor) * per_year * 2 + 12) / 24;
        i64::try_from(monthly).unwrap_or(i64::MAX)
    }
}

pub use super::statement::IncomeExpenditure;

/// A plan request from the call screen or the API.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PlanRequest {
    /// The amount the customer chose, in minor units.
    pub amount_minor: Option<i64>,
    #[serde(default)]
    pub currency: String,
    /// `weekly`, `fortnightly` or `monthly`.
    #[serde(default)]
    pub frequency: String,
    /// `YYYY-MM-DD`, today to 60 days ahead.
    pub first_payment_on: Option<NaiveDate>,
    #[serde(default)]
    pub email: String,
    /// Monthly amounts in minor units by Standard Financial Statement line, e.g.
    /// `{"earnings": 150000, "benefits": 20000, "home_and_contents": 70000, "savings": 5000}`.
    pub income_expenditure: Option<IncomeExpenditure>,
    /// Why the amount stands when it looks more than the customer can afford.
    pub affordability_note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlanTerms {
    pub amount: Money,
    pub frequency: Frequency,
    pub first_payment_on: NaiveDate,
    pub email: Email,
    pub income_expenditure: Option<IncomeExpenditure>,
    pub affordability_note: Option<String>,
}

/// What the handler is told about affordability; the customer's choice stands either way.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Affordability {
    pub chosen_monthly_minor: i64,
    pub disposable_monthly_minor: Option<i64>,
    /// Set when the chosen amount (as a monthly figure) is more than the disposable income.
    pub warning: Option<String>,
}

pub const MAX_START_DAYS: i64 = 60;

impl PlanRequest {
    /// Checks the request against the case (what is owed, in which currency) and today's date in
    /// the customer's zone.
    pub fn parse(self, owed: Money, today: NaiveDate) -> Result<PlanTerms, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut add =
            |field: &str, message: String| errors.entry(field.into()).or_default().push(message);
        let currency = Currency::parse(&self.currency).ok();
        if currency != Some(owed.currency) {
            add(
                "currency",
                format!("must be {}, the currency of the debt", owed.currency.code()),
            );
        }
        match self.amount_minor {
            None => add(
                "amount_minor",
                "is required: the amount the customer chose".into(),
            ),
            Some(a) if a <= 0 => add("amount_minor", "must be more than zero".into()),
            Some(a) if a > owed.minor => add(
                "amount_minor",
                format!("must be no more than the amount owed ({owed})"),
            ),
            Some(_) => {}
        }
        let frequency = Frequency::parse(&self.frequency);
        if frequency.is_none() {
            add("frequency", "must be weekly, fortnightly or monthly".into());
        }
        match self.first_payment_on {
            None => add("first_payment_on", "is required".into()),
            Some(d) if d < today => add("first_payment_on", "must be today or later".into()),
            Some(d) if d > today + Duration::days(MAX_START_DAYS) => add(
                "first_payment_on",
                format!("must be within {MAX_START_DAYS} days"),
            ),
            Some(_) => {}
        }
        let email = Email::parse(&self.email).map_err(|m| add("email", m)).ok();
        if let Some(ie) = &self.income_expenditure {
            for (field, problem) in ie.problems() {
                add(&field, problem);
            }
        }
        let note = self
            .affordability_note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if let Some(Err(message)) = note.as_deref().map(|n| payment_guard::check_text(n, 2000)) {
            add("affordability_note", message);
        }
        match (self.amount_minor, frequency, self.first_payment_on, email) {
            (Some(amount), Some(frequency), Some(first_payment_on), Some(email))
                if errors.is_empty() =>
            {
                Ok(PlanTerms {
                    amount: Money::new(amount, owed.currency),
                    frequency,
                    first_payment_on,
                    email,
                    income_expenditure: self.income_expenditure,
                    affordability_note: note,
                })
            }
            _ => Err(errors),
        }
    }
}

impl PlanTerms {
    pub fn affordability(&self) -> Affordability {
        let chosen = self.frequency.monthly_equivalent(self.amount.minor);
        let disposable = self
            .income_expenditure
            .as_ref()
            .map(IncomeExpenditure::disposable_minor);
        let warning = disposable.filter(|d| chosen > *d).map(|d| {
            format!(
                "The customer's choice comes to {} a month, more than the {} a month left after their costs. \
                 Their choice stands; you may record why.",
                Money::new(chosen, self.amount.currency),
                Money::new(d, self.amount.currency)
            )
        });
        Affordability {
            chosen_monthly_minor: chosen,
            disposable_monthly_minor: disposable,
            warning,
        }
    }
}

/// "£12.50 every week, starting Monday 7 December 2026".
pub fn in_words(amount: Money, frequency: Frequency, first_payment_on: NaiveDate) -> String {
    format!(
        "{amount} {}, starting {}",
        frequency.in_words(),
        first_payment_on.format("%A %-d %B %Y")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbp(minor: i64) -> Money {
        Money::new(minor, Currency::parse("GBP").unwrap())
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn request() -> PlanRequest {
        PlanRequest {
            amount_minor: Some(1250),
            currency: "GBP".into(),
            frequency: "weekly".into(),
            first_payment_on: NaiveDate::from_ymd_opt(2026, 12, 7),
            email: "ann@example.org".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_plan_reads_as_words() {
        let terms = request().parse(gbp(100_000), today()).unwrap();
        assert_eq!(
            in_words(terms.amount, terms.frequency, terms.first_payment_on),
            "£12.50 every week, starting Monday 7 December 2026"
        );
    }

    #[test]
    fn amounts_dates_and_emails_are_checked_in_the_users_terms() {
        let bad = PlanRequest {
            amount_minor: Some(200_000),
            currency: "EUR".into(),
            frequency: "daily".into(),
            first_payment_on: NaiveDate::from_ymd_opt(2027, 3, 1),
            email: "nope".into(),
            ..Default::default()
        };
        let errors = bad.parse(gbp(100_000), today()).unwrap_err();
        assert!(errors["amount_minor"][0].contains("no more than the amount owed (£1,000.00)"));
        assert!(errors["currency"][0].contains("GBP"));
        assert!(errors["frequency"][0].contains("weekly"));
        assert!(errors["first_payment_on"][0].contains("60 days"));
        assert!(errors.contains_key("email"));
        let zero = PlanRequest {
            amount_minor: Some(0),
            ..request()
        };
        assert!(
            zero.parse(gbp(100_000), today()).unwrap_err()["amount_minor"][0]
                .contains("more than zero")
        );
        let past = PlanRequest {
            first_payment_on: NaiveDate::from_ymd_opt(2026, 11, 30),
            ..request()
        };
        assert!(past.parse(gbp(100_000), today()).is_err());
    }

    #[test]
    fn an_unaffordable_choice_warns_but_stands() {
        let ie = IncomeExpenditure {
            lines: [
                ("earnings", 120_000),
                ("home_and_contents", 90_000),
                ("food_and_housekeeping", 25_000),
            ]
            .into_iter()
            .map(|(line, amount)| (line.to_string(), amount))
            .collect(),
        };
        let terms = PlanRequest {
            income_expenditure: Some(ie),
            ..request()
        }
        .parse(gbp(100_000), today())
        .unwrap();
        let a = terms.affordability();
        assert_eq!(
            a.chosen_monthly_minor, 5417,
            "£12.50 a week is £54.17 a month"
        );
        assert_eq!(a.disposable_monthly_minor, Some(5000));
        assert!(a.warning.unwrap().contains("£54.17 a month"));
        assert_eq!(terms.amount.minor, 1250, "never overridden");
    }

    #[test]
    fn monthly_equivalents() {
        assert_eq!(Frequency::Fortnightly.monthly_equivalent(2600), 5633);
        assert_eq!(Frequency::Monthly.monthly_equivalent(5000), 5000);
        // To the nearest penny, halves up: 3p a fortnight is 6.5p a month, 7p; 1p a week is
        // 4.33p, 4p; 2p a week is 8.67p, 9p.
        assert_eq!(Frequency::Fortnightly.monthly_equivalent(3), 7);
        assert_eq!(Frequency::Weekly.monthly_equivalent(1), 4);
        assert_eq!(Frequency::Weekly.monthly_equivalent(2), 9);
    }
}
