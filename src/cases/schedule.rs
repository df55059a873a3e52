//! Applying the contact rules to a stored case.

use chrono::{DateTime, Utc};

use super::{history, policy_store, priority, store, Case, CaseStatus};
use crate::{
    db::DbConn,
    error::AppResult,
    scheduling::{next_contact, ContactHistory, ContactPolicy, HolidayCalendar, NextContact},
};

/// Turns the rules' answer into what the case stores.
pub fn decide(
    next: NextContact,
    history: &ContactHistory,
    vulnerable: bool,
    now: DateTime<Utc>,
) -> store::ScheduleUpdate {
    let band = priority::band(history.callback_at.is_some(), vulnerable);
    match next {
        NextContact::At { at, window_end } => store::ScheduleUpdate {
            status: if history.held_at(now) {
                CaseStatus::OnHold
            } else if at <= now {
                CaseStatus::Queued
            } else {
                CaseStatus::Scheduled
            },
            closed_reason: None,
            next_contact_at: Some(at.naive_utc()),
            contact_window_end: Some(window_end.naive_utc()),
            priority_band: band,
        },
        NextContact::OnHold => store::ScheduleUpdate {
            status: CaseStatus::OnHold,
            closed_reason: None,
            next_contact_at: None,
            contact_window_end: None,
            priority_band: band,
        },
        NextContact::Exhausted => store::ScheduleUpdate::closed("unable_to_contact", band),
    }
}

/// Everything the rules need for one case.
pub struct RuleInputs {
    pub policy: ContactPolicy,
    pub holidays: HolidayCalendar,
    pub history: ContactHistory,
}

pub fn inputs(conn: &mut DbConn, case: &Case) -> AppResult<RuleInputs> {
    Ok(RuleInputs {
        policy: policy_store::policies_for(conn, case.client_id)?.for_region(&case.region),
        holidays: policy_store::calendar_for(conn, &case.region)?,
        history: history::load(conn, case)?,
    })
}

/// Recomputes and stores an open case's schedule from its full history. A closed case stays
/// closed: a hold lifted or a risk raised on it later must not put the customer back in the
/// queue (it was closed because they declined, re-engaged, or could not be reached).
///
/// An open case whose customer has confirmed their latest plan closes as re-engaged: they
/// confirmed while a handler was on the phone to them (`plans::customer::confirm`), and there is
/// nothing more to call about, unless they asked for a callback since.
pub fn reschedule(conn: &mut DbConn, case: &Case, now: DateTime<Utc>) -> AppResult<()> {
    if case.status == CaseStatus::Closed.as_str() {
        return Ok(());
    }
    if case.callback_at.is_none() && crate::plans::store::latest_is_confirmed(conn, case.id)? {
        let band = priority::band(false, case.vulnerable);
        let closed = store::ScheduleUpdate::closed("re_engaged", band);
        return store::apply_schedule(conn, case.id, closed, now.naive_utc());
    }
    reopen(conn, case, now)?;
    Ok(())
}

/// Recomputes and stores a case's schedule whatever its status: for the customer who asks to be
/// called back, which reopens a closed case. Returns what was stored.
pub fn reopen(
    conn: &mut DbConn,
    case: &Case,
    now: DateTime<Utc>,
) -> AppResult<store::ScheduleUpdate> {
    let inputs = inputs(conn, case)?;
    let next = next_contact(
        &inputs.policy,
        &case.zones(),
        &inputs.holidays,
        &inputs.history,
        now,
    );
    let update = decide(next, &inputs.history, case.vulnerable, now);
    store::apply_schedule(conn, case.id, update, now.naive_utc())?;
    if next == NextContact::Exhausted {
        queue_unable_to_contact_email(conn, case, now)?;
    }
    Ok(update)
}

/// When the attempts run out the customer gets one e-mail with support links (once only).
fn queue_unable_to_contact_email(
    conn: &mut DbConn,
    case: &Case,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::mail::outbox;
    let Some(email) = &case.email else {
        return Ok(());
    };
    if outbox::already_queued(conn, outbox::kind::UNABLE_TO_CONTACT, case.id)? {
        return Ok(());
    }
    outbox::enqueue(
        conn,
        outbox::kind::UNABLE_TO_CONTACT,
        Some(case.id),
        email,
        &serde_json::json!({}),
        now.naive_utc(),
    )
}
