//! The support directory: free organisations matched to a customer's needs and region, every
//! link shown to a customer tracked, and what handlers mentioned on the call.

pub mod directory_pages;
pub mod matching;
pub mod pages;
pub mod store;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::{
    calls::script::SupportOrganisation,
    cases::Case,
    db::{
        schema::{escalations, holds},
        DbConn,
    },
    error::AppResult,
};
use matching::{matched, parse_needs};

/// An organisation as a customer sees it: its link goes through our tracked redirect.
#[derive(Debug, Clone, Serialize)]
pub struct ShownOrganisation {
    pub name: String,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub url: String,
}

/// Whether a risk to life was ever raised on the case.
pub fn risk_flagged(conn: &mut DbConn, case_id: i64) -> AppResult<bool> {
    let hold: bool = diesel::select(diesel::dsl::exists(
        holds::table
            .filter(holds::case_id.eq(case_id))
            .filter(holds::kind.eq("risk_to_life")),
    ))
    .get_result(conn)?;
    let escalated: bool = diesel::select(diesel::dsl::exists(
        escalations::table
            .filter(escalations::case_id.eq(case_id))
            .filter(escalations::kind.eq("risk_to_life")),
    ))
    .get_result(conn)?;
    Ok(hold || escalated)
}

/// The organisations for this case, for the handler's script and call screen; `risk_flagged`
/// (see `risk_flagged`) puts crisis lines first.
pub fn for_call(
    directory: &[matching::Organisation],
    case: &Case,
    risk_flagged: bool,
) -> Vec<SupportOrganisation> {
    matched(
        directory,
        &parse_needs(case.needs.as_deref()),
        &case.region,
        risk_flagged,
    )
    .into_iter()
    .map(|o| SupportOrganisation {
        id: o.id,
        name: o.name.clone(),
        phone: o.phone.clone(),
        website: o.website.clone(),
    })
    .collect()
}

/// The organisations for this case with tracked links, for e-mails (`channel` "email") and the
/// customer's page ("page").
pub fn for_customer(
    conn: &mut DbConn,
    directory: &[matching::Organisation],
    case: &Case,
    channel: &str,
    base_url: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<ShownOrganisation>> {
    let risk = risk_flagged(conn, case.id)?;
    let chosen = matched(
        directory,
        &parse_needs(case.needs.as_deref()),
        &case.region,
        risk,
    );
    chosen
        .into_iter()
        .map(|o| {
            let url = match &o.website {
                Some(_) => format!(
                    "{base_url}/s/{}",
                    store::link_code(conn, case.id, o.id, channel, now)?
                ),
                None => String::new(),
            };
            Ok(ShownOrganisation {
                name: o.name.clone(),
                phone: o.phone.clone(),
                opening_hours: o.opening_hours.clone(),
                url,
            })
        })
        .collect()
}
