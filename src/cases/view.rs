//! A case as the API shows it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{rfc3339, Case};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    /// The client's own reference.
    pub reference: String,
    /// `queued`, `claimed`, `scheduled`, `on_hold` or `closed`.
    pub status: String,
    /// Why a closed case closed (e.g. `unable_to_contact`, `re_engaged`).
    pub closed_reason: Option<String>,
    /// The next time contact is allowed, UTC, RFC 3339; absent while on hold or closed.
    pub next_contact_at: Option<String>,
    pub name: String,
    pub region: String,
    pub timezone: String,
    /// Other zones the customer may be in; calls suit all of them.
    pub other_timezones: Vec<String>,
    pub amount_owed_minor: i64,
    pub currency: String,
    pub days_in_arrears: i32,
    pub referred_at: String,
}

impl From<&Case> for CaseView {
    fn from(case: &Case) -> Self {
        CaseView {
            id: case.id,
            reference: case.reference.clone(),
            status: case.status.clone(),
            closed_reason: case.closed_reason.clone(),
            next_contact_at: case.next_contact_at.map(rfc3339),
            name: case.customer_name.clone(),
            region: case.region.clone(),
            timezone: case.tz().name().to_string(),
            other_timezones: case
                .zones()
                .iter()
                .skip(1)
                .map(|z| z.name().to_string())
                .collect(),
            amount_owed_minor: case.amount_owed_minor,
            currency: case.currency.clone(),
            days_in_arrears: case.days_in_arrears,
            referred_at: rfc3339(case.referred_at),
        }
    }
}
