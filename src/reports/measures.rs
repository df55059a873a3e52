//! The re-engagement measures, defined once (see the brief): counts come from the database,
//! rates are derived here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Counts for one period (or the whole range). Names are a contract with clients' integrations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Measures {
    /// Customers referred.
    pub referred: i64,
    /// Customers we tried to call.
    pub attempted: i64,
    /// Customers we spoke to.
    pub contacted: i64,
    pub plans_proposed: i64,
    pub plans_confirmed: i64,
    /// Customers who re-engaged: confirmed their plan, or were back in touch with the client.
    pub re_engaged: i64,
    /// re_engaged ÷ contacted; absent when nobody was contacted. By week or month both count
    /// events in the period (first conversations, re-engagements), so a period whose
    /// re-engagements come from earlier calls can pass 1; by cohort it is the share of the
    /// period's referrals contacted who re-engaged by the end of the range.
    pub re_engagement_rate: Option<f64>,
    /// contacted ÷ referred; absent when nobody was referred.
    pub contact_rate: Option<f64>,
    /// Median hours from referral to first conversation.
    pub median_hours_to_first_contact: Option<f64>,
    pub support_links_sent: i64,
    pub support_links_opened: i64,
    pub vulnerable_identified: i64,
    /// Holds applied (Breathing Space, disputes, …).
    pub holds: i64,
    /// Calls made in the period by the outcome the handler recorded (`no_answer`,
    /// `spoke_to_customer`, … as the call outcomes are named), outcomes with no calls left out;
    /// a call whose claim ran out with nothing recorded is in none. By week or month only: empty
    /// by cohort. Not a CSV column, whose columns stay as they are.
    pub calls_by_outcome: std::collections::BTreeMap<String, i64>,
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0)
}

impl Measures {
    /// Fills the rates from the counts.
    pub fn with_rates(mut self) -> Self {
        self.re_engagement_rate = ratio(self.re_engaged, self.contacted);
        self.contact_rate = ratio(self.contacted, self.referred);
        self
    }

    /// A measure by its contract name (for CSV columns and tests).
    pub fn get(&self, name: &str) -> Option<String> {
        let count = |v: i64| Some(v.to_string());
        let rate = |v: Option<f64>| Some(v.map(|v| format!("{v}")).unwrap_or_default());
        match name {
            "referred" => count(self.referred),
            "attempted" => count(self.attempted),
            "contacted" => count(self.contacted),
            "plans_proposed" => count(self.plans_proposed),
            "plans_confirmed" => count(self.plans_confirmed),
            "re_engaged" => count(self.re_engaged),
            "re_engagement_rate" => rate(self.re_engagement_rate),
            "contact_rate" => rate(self.contact_rate),
            "median_hours_to_first_contact" => rate(self.median_hours_to_first_contact),
            "support_links_sent" => count(self.support_links_sent),
            "support_links_opened" => count(self.support_links_opened),
            "vulnerable_identified" => count(self.vulnerable_identified),
            "holds" => count(self.holds),
            _ => None,
        }
    }
}

pub const NAMES: [&str; 13] = [
    "referred",
    "attempted",
    "contacted",
    "plans_proposed",
    "plans_confirmed",
    "re_engaged",
    "re_engagement_rate",
    "contact_rate",
    "median_hours_to_first_contact",
    "support_links_sent",
    "support_links_opened",
    "vulnerable_identified",
    "holds",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_definitions() {
        let m = Measures {
            referred: 10,
            contacted: 6,
            re_engaged: 4,
            ..Default::default()
        }
        .with_rates();
        assert_eq!(m.contact_rate, Some(0.6));
        assert_eq!(m.re_engagement_rate, Some(0.6667));
        let empty = Measures::default().with_rates();
        assert_eq!((empty.contact_rate, empty.re_engagement_rate), (None, None));
    }

    #[test]
    fn every_contract_name_is_readable() {
        let m = Measures::default();
        for name in NAMES {
            assert!(m.get(name).is_some(), "{name}");
        }
    }
}
