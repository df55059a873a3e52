//! Customer-chosen repayment plans: recorded on the call, e-mailed, and confirmed (or questioned)
//! by the customer through a link.

pub mod api;
pub mod customer;
pub mod links;
pub mod pages;
pub mod statement;
pub mod store;
pub mod terms;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    audit::{self, Actor},
    cases,
    db::DbConn,
    error::{AppError, AppResult},
    mail::outbox,
};
use terms::{Affordability, PlanRequest};

/// A plan as the API and pages show it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    /// `awaiting_confirmation`, `confirmed`, `change_requested` or `superseded`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub frequency: String,
    pub first_payment_on: chrono::NaiveDate,
    pub email: String,
    /// The plan as the customer reads it.
    pub in_words: String,
    pub affordability: Option<Affordability>,
}

/// Records a new plan version, supersedes the previous one, and queues the confirmation e-mail
/// in the same transaction.
pub fn propose(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    case_id: i64,
    request: PlanRequest,
    now: DateTime<Utc>,
    link: links::LinkSettings<'_>,
) -> AppResult<PlanView> {
    let case = cases::store::find_claimed_by_on_call(conn, case_id, handler_id, now.naive_utc())?;
    let owed = case.money().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("case {case_id} has an unknown currency"))
    })?;
    let today = now.with_timezone(&case.tz()).date_naive();
    let terms = request.parse(owed, today).map_err(AppError::fields)?;
    let affordability = terms.affordability();
    let plan = store::insert_version(conn, case_id, handler_id, &terms, now.naive_utc())?;
    let link = links::create(conn, link.secret, plan.id, now.naive_utc(), link.days)?;
    outbox::enqueue(
        conn,
        outbox::kind::PLAN_CONFIRMATION,
        Some(case_id),
        terms.email.as_str(),
        &serde_json::json!({"plan_id": plan.id, "link_id": link}),
        now.naive_utc(),
    )?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("plan_proposed", "case", Some(case_id))
            .client(Some(case.client_id))
            .detail(format!("version {}", plan.version)),
    )?;
    Ok(store::view(&plan, Some(affordability)))
}
