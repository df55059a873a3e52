//! Database access for cases.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Case, CaseStatus};
use crate::{
    db::{
        schema::{cases, unrecorded_calls},
        DbConn,
    },
    error::{AppError, AppResult},
};

pub fn find(conn: &mut DbConn, case_id: i64) -> AppResult<Case> {
    Ok(cases::table
        .find(case_id)
        .select(Case::as_select())
        .first(conn)?)
}

/// The case, locked against other writers until the transaction ends (on PostgreSQL; SQLite
/// runs one write transaction at a time anyway), so what is decided from it stays true until it
/// is written: a plan or a note recorded on a call, or an erasure, never interleaves with another.
pub fn find_locked(conn: &mut DbConn, case_id: i64) -> AppResult<Case> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(case_id)
            .execute(pg)?;
    }
    find(conn, case_id)
}

/// The case, locked, if `handler_id` holds a live claim on it (see [`Case::ensure_claimed_by`]).
pub fn find_claimed_by(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    now: NaiveDateTime,
) -> AppResult<Case> {
    let case = find_locked(conn, case_id)?;
    case.ensure_claimed_by(handler_id, now)?;
    Ok(case)
}

/// [`find_claimed_by`] for what a handler records beside the case (a plan, an exception), not
/// on its row: the case's `updated_at` marks that the handler was on the call now, as every
/// write to the row does. If the claim later runs out with no outcome, that is when the
/// customer may last have been called (`keep_possible_call`).
pub fn find_claimed_by_on_call(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    now: NaiveDateTime,
) -> AppResult<Case> {
    let case = find_claimed_by(conn, case_id, handler_id, now)?;
    diesel::update(cases::table.find(case_id))
        .set(cases::updated_at.eq(now))
        .execute(conn)?;
    Ok(Case {
        updated_at: now,
        ..case
    })
}

/// A case only if it belongs to `client_id`; another client's case is "not found", never
/// "forbidden", so ids reveal nothing.
pub fn find_for_client(conn: &mut DbConn, client_id: i64, case_id: i64) -> AppResult<Case> {
    cases::table
        .find(case_id)
        .filter(cases::client_id.eq(client_id))
        .select(Case::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

pub fn find_by_reference(
    conn: &mut DbConn,
    client_id: i64,
    reference: &str,
) -> AppResult<Option<Case>> {
    Ok(cases::table
        .filter(cases::client_id.eq(client_id))
        .filter(cases::reference.eq(reference))
        .select(Case::as_select())
        .first(conn)
        .optional()?)
}

/// The schedule a case should now follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleUpdate {
    pub status: CaseStatus,
    pub closed_reason: Option<&'static str>,
    pub next_contact_at: Option<NaiveDateTime>,
    pub contact_window_end: Option<NaiveDateTime>,
    pub priority_band: i32,
}

impl ScheduleUpdate {
    /// Closed for `reason`: no next contact.
    pub fn closed(reason: &'static str, priority_band: i32) -> ScheduleUpdate {
        ScheduleUpdate {
            status: CaseStatus::Closed,
            closed_reason: Some(reason),
            next_contact_at: None,
            contact_window_end: None,
            priority_band,
        }
    }
}

/// A claim about to end with no outcome recorded (it ran out, or a hold or another member of
/// staff ended it) may have been a call: when the handler was last seen on it (`now` while the
/// lease is live; the last write under the claim once it has run out) is kept as an unrecorded
/// call, which the rules count for the gap between calls and the rolling limits, and as the
/// case's last attempt (`Case::last_attempt_at`). Returns the case as it now stands; one not
/// claimed is unchanged. `case` must have been read under its row lock in this transaction
/// ([`find_locked`], or a claim query's `FOR UPDATE`): a stale copy (an outcome recorded, or the
/// same lapse kept, by another request meanwhile) would keep a call that was not, or keep one
/// twice.
pub fn keep_possible_call(conn: &mut DbConn, case: Case, now: NaiveDateTime) -> AppResult<Case> {
    if case.status != CaseStatus::Claimed.as_str() {
        return Ok(case);
    }
    let at = if case.on_a_call(now) {
        now
    } else {
        case.updated_at
    };
    if case.last_attempt_at.is_some_and(|last| last >= at) {
        return Ok(case);
    }
    diesel::insert_into(unrecorded_calls::table)
        .values((
            unrecorded_calls::case_id.eq(case.id),
            unrecorded_calls::last_seen_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(cases::table.find(case.id))
        .set(cases::last_attempt_at.eq(at))
        .execute(conn)?;
    Ok(Case {
        last_attempt_at: Some(at),
        ..case
    })
}

/// Closes `case` for `reason` (and ends any claim on it); a case already closed keeps its reason.
pub fn close(
    conn: &mut DbConn,
    case: &Case,
    reason: &'static str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if case.status == CaseStatus::Closed.as_str() {
        return Ok(());
    }
    apply_schedule(
        conn,
        case.id,
        ScheduleUpdate::closed(reason, case.priority_band),
        now,
    )
}

/// Writes a schedule and releases any claim (a rescheduled case is nobody's).
pub fn apply_schedule(
    conn: &mut DbConn,
    case_id: i64,
    update: ScheduleUpdate,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(cases::table.find(case_id))
        .set((
            cases::status.eq(update.status.as_str()),
            cases::closed_reason.eq(update.closed_reason),
            cases::next_contact_at.eq(update.next_contact_at),
            cases::contact_window_end.eq(update.contact_window_end),
            cases::priority_band.eq(update.priority_band),
            cases::claimed_by.eq(None::<i64>),
            cases::claim_expires_at.eq(None::<NaiveDateTime>),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Debug, serde::Serialize)]
pub struct CaseListItem {
    pub id: i64,
    pub reference: String,
    pub customer_name: String,
    pub status: String,
    pub next_contact_at: Option<NaiveDateTime>,
    pub referred_at: NaiveDateTime,
}

pub fn recent_for_client(
    conn: &mut DbConn,
    client_id: i64,
    limit: i64,
) -> AppResult<Vec<CaseListItem>> {
    Ok(cases::table
        .filter(cases::client_id.eq(client_id))
        .order(cases::id.desc())
        .limit(limit)
        .select((
            cases::id,
            cases::reference,
            cases::customer_name,
            cases::status,
            cases::next_contact_at,
            cases::referred_at,
        ))
        .load(conn)?)
}
