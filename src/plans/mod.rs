//! Customer-chosen repayment plans: recorded on the call, e-mailed, and confirmed (or questioned)
//! by the customer through a link.

pub mod api;
pub mod customer;
pub mod links;
pub mod pages;
pub mod statement;
pub mod store;
pub mod terms;
pub mod unsubscribe;

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
    /// When the customer asked to stop e-mails to `email`, if they had when this plan was
    /// recorded: the plan stands, but its e-mail is not sent (the call screen offers to send it
    /// if the customer asks for e-mails again).
    /// UTC, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails_stopped_at: Option<DateTime<Utc>>,
}

/// How long the same proposal sent again counts as a repeat of the first (see
/// `store::repeat_of`): long enough for a double click, a refreshed page or a client's retry.
const REPEAT_WINDOW_MINUTES: i64 = 10;

/// Records a new plan version, supersedes the previous one, and queues the confirmation e-mail
/// in the same transaction; says whether it is new. The same terms sent again by the same
/// handler shortly after, before the customer answered, are the plan already recorded: a second
/// version would send a second e-mail and make the first e-mail's link "no longer current".
pub fn propose(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    case_id: i64,
    request: PlanRequest,
    now: DateTime<Utc>,
    link: links::LinkSettings<'_>,
) -> AppResult<(PlanView, bool)> {
    let case = cases::store::find_claimed_by_on_call(conn, case_id, handler_id, now.naive_utc())?;
    let owed = case.money().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("case {case_id} has an unknown currency"))
    })?;
    let today = now.with_timezone(&case.tz()).date_naive();
    let terms = request.parse(owed, today).map_err(AppError::fields)?;
    let affordability = terms.affordability();
    let since = now.naive_utc() - chrono::Duration::minutes(REPEAT_WINDOW_MINUTES);
    let stopped = outbox::stopped_since(conn, terms.email.as_str())?.map(|at| at.and_utc());
    let viewed = |plan: &store::Plan, affordability| PlanView {
        emails_stopped_at: stopped,
        ..store::view(plan, Some(affordability))
    };
    if let Some(plan) = store::repeat_of(conn, case_id, handler_id, &terms, since)? {
        return Ok((viewed(&plan, affordability), false));
    }
    let plan = store::insert_version(conn, case_id, handler_id, &terms, now.naive_utc())?;
    // Queued even when the address stopped e-mails: the sender withholds it and says so on the
    // supervisors' page, as for any message whose customer stopped them after it was queued.
    email_for_confirmation(conn, &plan, now, link)?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("plan_proposed", "case", Some(case_id))
            .client(Some(case.client_id))
            .detail(format!("version {}", plan.version)),
    )?;
    Ok((viewed(&plan, affordability), true))
}

/// Queues the plan's e-mail with a fresh link to confirm it.
fn email_for_confirmation(
    conn: &mut DbConn,
    plan: &store::Plan,
    now: DateTime<Utc>,
    link: links::LinkSettings<'_>,
) -> AppResult<()> {
    let link = links::create(conn, link.secret, plan.id, now.naive_utc(), link.days)?;
    outbox::enqueue(
        conn,
        outbox::kind::PLAN_CONFIRMATION,
        Some(plan.case_id),
        &plan.email,
        &serde_json::json!({"plan_id": plan.id, "link_id": link}),
        now.naive_utc(),
    )?;
    Ok(())
}

/// The customer, who had stopped e-mails, asks on the call for them again: their address may be
/// e-mailed again (audited as the handler's doing) and the plan awaiting their answer goes now.
pub fn resume_emails(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    (case_id, plan_id): (i64, i64),
    now: DateTime<Utc>,
    link: links::LinkSettings<'_>,
) -> AppResult<PlanView> {
    let case = cases::store::find_claimed_by_on_call(conn, case_id, handler_id, now.naive_utc())?;
    let plan = store::find(conn, plan_id)?;
    if plan.case_id != case_id {
        return Err(AppError::NotFound);
    }
    if plan.status != "awaiting_confirmation" {
        return Err(AppError::Conflict(
            "This plan is no longer waiting for the customer's answer.".into(),
        ));
    }
    if outbox::stopped_since(conn, &plan.email)?.is_some() {
        outbox::resume(conn, &plan.email)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("emails_resumed", "case", Some(case_id)).client(Some(case.client_id)),
        )?;
        // Its e-mail may not have been tried yet (a backlog, senders switched off): it goes now
        // the address may be e-mailed, and a second one would carry a second link.
        if !outbox::waiting_for_case(conn, case_id, outbox::kind::PLAN_CONFIRMATION)? {
            email_for_confirmation(conn, &plan, now, link)?;
        }
    }
    Ok(store::view(&plan, None))
}
