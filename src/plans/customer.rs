//! What the customer does with their link: confirm the plan, or ask for a change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::store;
use crate::{
    audit::{self, Actor},
    cases::{self, priority, Case, CaseStatus},
    db::{schema::cases as cases_table, DbConn},
    error::{AppError, AppResult},
    payment_guard,
};

#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    AlreadyConfirmed,
    ChangeRequested,
    /// A newer version replaced this plan, or its customer is known to have died.
    NoLongerCurrent,
}

/// `None` while the plan awaits the customer's answer. A plan whose customer has died is no
/// longer current, whatever became of the case before the death was reported: a link still in
/// someone's inbox must neither reopen the case nor count it as re-engaged.
fn current_status(conn: &mut DbConn, plan_id: i64) -> AppResult<Option<Answer>> {
    let plan = store::find(conn, plan_id)?;
    if cases::holds::known_to_have_died(conn, plan.case_id)? {
        return Ok(Some(Answer::NoLongerCurrent));
    }
    Ok(match plan.status.as_str() {
        "awaiting_confirmation" => None,
        "confirmed" => Some(Answer::AlreadyConfirmed),
        // Asked already (a double click, another tab): the callback is on its way.
        "change_requested" => Some(Answer::ChangeRequested),
        _ => Some(Answer::NoLongerCurrent),
    })
}

/// The plan's case, locked before the plan is written: a handler revising the plan takes them in
/// that order too, so the two never wait on each other.
fn locked_case_of(conn: &mut DbConn, plan_id: i64) -> AppResult<Case> {
    let case_id = store::find(conn, plan_id)?.case_id;
    cases::store::find_locked(conn, case_id)
}

/// Confirms once: the plan is confirmed and the case counts as re-engaged.
pub fn confirm(conn: &mut DbConn, plan_id: i64, now: NaiveDateTime) -> AppResult<Answer> {
    let case = locked_case_of(conn, plan_id)?;
    let (case_id, client_id) = (case.id, case.client_id);
    if let Some(answer) = current_status(conn, plan_id)? {
        return Ok(answer);
    }
    if !store::set_confirmed(conn, plan_id, now)? {
        return current_status(conn, plan_id).map(|a| a.unwrap_or(Answer::NoLongerCurrent));
    }
    // Re-engaged when it first happened (a handler may have recorded it already): the period a
    // client was told about keeps its count.
    let re_engaged_at = case.re_engaged_at.unwrap_or(now);
    let open = case.status != CaseStatus::Closed.as_str();
    if case.on_a_call(now) {
        // Confirmed while still on the phone to the handler: the call goes on (and is any
        // callback they had asked for), and the outcome recorded closes the case
        // (`cases::schedule::reschedule`).
        diesel::update(cases_table::table.find(case.id))
            .set((
                cases_table::re_engaged_at.eq(re_engaged_at),
                cases_table::callback_at.eq(None::<NaiveDateTime>),
                cases_table::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else if open && case.callback_at.is_some() {
        // They also asked to be called back: that call still happens.
        diesel::update(cases_table::table.find(case.id))
            .set(cases_table::re_engaged_at.eq(re_engaged_at))
            .execute(conn)?;
        let case = cases::store::keep_possible_call(conn, case, now)?;
        cases::schedule::reschedule(conn, &case, now.and_utc())?;
    } else {
        diesel::update(cases_table::table.find(case.id))
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
    audit::record(
        conn,
        Actor::Customer,
        audit::Entry::new("plan_confirmed", "case", Some(case_id)).client(Some(client_id)),
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
    let case = locked_case_of(conn, plan_id)?;
    let (case_id, client_id) = (case.id, case.client_id);
    match current_status(conn, plan_id)? {
        // A second message before the callback: kept with the first for the handler.
        Some(Answer::ChangeRequested) => {
            if let Some(message) = message {
                store::add_change_message(conn, plan_id, message)?;
                audit::record(
                    conn,
                    Actor::Customer,
                    audit::Entry::new("plan_change_message_added", "case", Some(case_id))
                        .client(Some(client_id)),
                )?;
            }
            return Ok(Answer::ChangeRequested);
        }
        Some(answer) => return Ok(answer),
        None => {}
    }
    if !store::set_change_requested(conn, plan_id, message, now)? {
        return Ok(Answer::NoLongerCurrent);
    }
    diesel::update(cases_table::table.find(case.id))
        .set((
            cases_table::callback_at.eq(now),
            cases_table::priority_band.eq(priority::CALLBACK),
        ))
        .execute(conn)?;
    // The customer asked to talk: a callback even if the case had closed. If they asked while
    // still on the phone to the handler, the call goes on and its outcome settles the case.
    if !case.on_a_call(now) {
        let case = cases::store::keep_possible_call(conn, case, now)?;
        let case = Case {
            callback_at: Some(now),
            priority_band: priority::CALLBACK,
            ..case
        };
        cases::schedule::reopen(conn, &case, now.and_utc())?;
    }
    audit::record(
        conn,
        Actor::Customer,
        audit::Entry::new("plan_change_requested", "case", Some(case_id)).client(Some(client_id)),
    )?;
    Ok(Answer::ChangeRequested)
}
