//! What the customer does with their link: confirm the plan, or ask for a change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::store;
use crate::{
    audit::{self, Actor},
    cases::{self, priority},
    db::{schema::cases as cases_table, DbConn},
    error::{AppError, AppResult},
    payment_guard,
};

#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    AlreadyConfirmed,
    ChangeRequested,
    /// A newer version replaced this plan, or a change was already asked for.
    NoLongerCurrent,
}

/// `None` while the plan awaits the customer's answer. A plan whose case was closed because the
/// customer died is no longer current: a link still in someone's inbox must neither reopen the
/// case nor count it as re-engaged.
fn current_status(conn: &mut DbConn, plan_id: i64) -> AppResult<Option<Answer>> {
    let plan = store::find(conn, plan_id)?;
    let closed_reason: Option<String> = cases_table::table
        .find(plan.case_id)
        .select(cases_table::closed_reason)
        .first(conn)?;
    if closed_reason.as_deref() == Some("deceased") {
        return Ok(Some(Answer::NoLongerCurrent));
    }
    Ok(match plan.status.as_str() {
        "awaiting_confirmation" => None,
        "confirmed" => Some(Answer::AlreadyConfirmed),
        _ => Some(Answer::NoLongerCurrent),
    })
}

/// Confirms once: the plan is confirmed and the case counts as re-engaged.
pub fn confirm(conn: &mut DbConn, plan_id: i64, now: NaiveDateTime) -> AppResult<Answer> {
    if let Some(answer) = current_status(conn, plan_id)? {
        return Ok(answer);
    }
    if !store::set_confirmed(conn, plan_id, now)? {
        return current_status(conn, plan_id).map(|a| a.unwrap_or(Answer::NoLongerCurrent));
    }
    let plan = store::find(conn, plan_id)?;
    let before = cases::store::find_locked(conn, plan.case_id)?;
    // Re-engaged when it first happened (a handler may have recorded it already): the period a
    // client was told about keeps its count.
    let re_engaged_at = before.re_engaged_at.unwrap_or(now);
    if before.on_a_call(now) {
        // Confirmed while still on the phone to the handler: the call goes on, and the outcome
        // they record closes the case (`cases::schedule::reschedule`).
        diesel::update(cases_table::table.find(plan.case_id))
            .set((
                cases_table::re_engaged_at.eq(re_engaged_at),
                cases_table::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::update(cases_table::table.find(plan.case_id))
            .set((
                cases_table::status.eq("closed"),
                cases_table::closed_reason.eq("re_engaged"),
                cases_table::re_engaged_at.eq(re_engaged_at),
                cases_table::next_contact_at.eq(None::<NaiveDateTime>),
                cases_table::claimed_by.eq(None::<i64>),
                cases_table::claim_expires_at.eq(None::<NaiveDateTime>),
                cases_table::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    let case = cases::store::find(conn, plan.case_id)?;
    audit::record(
        conn,
        Actor::Customer,
        audit::Entry::new("plan_confirmed", "case", Some(plan.case_id))
            .client(Some(case.client_id)),
    )?;
    Ok(Answer::Confirmed)
}

/// The customer wants something changed: their message is kept and a callback is queued.
pub fn request_change(
    conn: &mut DbConn,
    plan_id: i64,
    message: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<Answer> {
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    if let Some(Err(refused)) = message.map(|text| payment_guard::check_text(text, 2000)) {
        return Err(AppError::field("message", refused));
    }
    if let Some(answer) = current_status(conn, plan_id)? {
        return Ok(answer);
    }
    if !store::set_change_requested(conn, plan_id, message, now)? {
        return Ok(Answer::NoLongerCurrent);
    }
    let plan = store::find(conn, plan_id)?;
    diesel::update(cases_table::table.find(plan.case_id))
        .set((
            cases_table::callback_at.eq(now),
            cases_table::priority_band.eq(priority::CALLBACK),
        ))
        .execute(conn)?;
    let case = cases::store::find(conn, plan.case_id)?;
    // The customer asked to talk: a callback even if the case had closed. If they asked while
    // still on the phone to the handler, the call goes on and its outcome settles the case.
    if !case.on_a_call(now) {
        cases::schedule::reopen(conn, &case, now.and_utc())?;
    }
    audit::record(
        conn,
        Actor::Customer,
        audit::Entry::new("plan_change_requested", "case", Some(plan.case_id))
            .client(Some(case.client_id)),
    )?;
    Ok(Answer::ChangeRequested)
}
