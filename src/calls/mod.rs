//! The call: scripts that bar payments, outcomes and what they do to a case, safeguarding and
//! handler welfare — for the call pages and the API alike.

pub mod api;
pub mod care_pages;
pub mod emergency;
pub mod emergency_pages;
pub mod exceptions;
pub mod next_calls;
pub mod outcome;
pub mod pages;
pub mod queries;
pub mod queue_pages;
pub mod record;
pub mod safeguarding;
pub mod script;
mod script_shape;
pub mod script_store;
pub mod welfare;

use script::SupportOrganisation;

/// The organisations the sample case in the script preview is matched to.
pub fn sample_support() -> Vec<SupportOrganisation> {
    [
        ("MoneyHelper", None, "moneyhelper.org.uk"),
        ("StepChange Debt Charity", None, "stepchange.org"),
        ("National Debtline", None, "nationaldebtline.org"),
        ("Citizens Advice", None, "citizensadvice.org.uk"),
        ("Samaritans", Some("116 123"), "samaritans.org"),
    ]
    .into_iter()
    .map(|(name, phone, website)| SupportOrganisation {
        id: 0,
        name: name.into(),
        phone: phone.map(Into::into),
        website: Some(website.into()),
    })
    .collect()
}
