//! Holds: no contact while they apply.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::{
    db::{schema::holds, DbConn},
    error::{AppError, AppResult},
};

/// Standard Breathing Space moratorium.
pub const BREATHING_SPACE_DAYS: i64 = 60;

/// When a standard Breathing Space starting at `start` ends (a date or an instant alike).
pub fn breathing_space_end<T: std::ops::Add<chrono::Duration, Output = T>>(start: T) -> T {
    start + chrono::Duration::days(BREATHING_SPACE_DAYS)
}

/// Why a standard Breathing Space whose days ran out before it was recorded is refused: its
/// start was almost always mistyped (a year off), and accepted, the hold would stop nothing while
/// the customer is called during a real moratorium.
pub fn breathing_space_already_over(ended_on: chrono::NaiveDate) -> String {
    format!(
        "gives a Breathing Space that would already have ended on {} ({BREATHING_SPACE_DAYS} days from its start): check the start date",
        ended_on.format("%-d %B %Y")
    )
}
/// How far ahead a Breathing Space may start: a moratorium starts the day after the creditor is
/// told, so a notice passed on at once gives a start a day or so ahead. Contact stops at once.
pub const BREATHING_SPACE_NOTICE_AHEAD_DAYS: i64 = 14;

/// A mental-health crisis Breathing Space: open-ended while treatment lasts.
pub const MENTAL_HEALTH_BREATHING_SPACE: &str = "breathing_space_mental_health";

/// A mental-health crisis moratorium lasts while treatment lasts plus this many days.
pub const MENTAL_HEALTH_TAIL_DAYS: i64 = 30;

/// What lifting a hold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifted {
    /// Contact may resume under the usual rules.
    Now,
    /// The end of treatment was recorded: the moratorium runs until then.
    EndsAt(NaiveDateTime),
}

pub struct NewHold<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
}

/// Stores a hold; returns its id.
pub fn place(conn: &mut DbConn, hold: NewHold<'_>, now: NaiveDateTime) -> AppResult<i64> {
    super::privacy::refuse_if_erased(conn, hold.case_id)?;
    let insert = diesel::insert_into(holds::table)
        .values((
            holds::case_id.eq(hold.case_id),
            holds::kind.eq(hold.kind),
            holds::starts_at.eq(hold.starts_at),
            holds::ends_at.eq(hold.ends_at),
            holds::note.eq(hold.note),
            holds::created_by.eq(hold.created_by),
            holds::created_at.eq(now),
        ))
        .returning(holds::id);
    Ok(crate::db::portable::get_result(insert, conn)?)
}

/// Whether a hold of `kind` stands on the case (placed and not lifted).
pub fn stands(conn: &mut DbConn, case_id: i64, kind: &str) -> AppResult<bool> {
    Ok(for_case(conn, case_id)?
        .iter()
        .any(|hold| hold.kind == kind && hold.lifted_at.is_none()))
}

/// Whether the case's customer is known to have died (a deceased hold stands): their plan link
/// then shows nothing of them, and retention erases the case.
pub fn known_to_have_died(conn: &mut DbConn, case_id: i64) -> AppResult<bool> {
    stands(conn, case_id, "deceased")
}

/// A hold's kind and who placed it (`None`: the client, or the system), if `hold_id` is one of
/// `case_id`'s holds.
pub fn placed(
    conn: &mut DbConn,
    case_id: i64,
    hold_id: i64,
) -> AppResult<Option<(String, Option<i64>)>> {
    Ok(holds::table
        .find(hold_id)
        .filter(holds::case_id.eq(case_id))
        .select((holds::kind, holds::created_by))
        .first(conn)
        .optional()?)
}

/// Lifts one of `case_id`'s holds and says what happened. Lifting a mental-health crisis
/// Breathing Space records that treatment ended: by law the moratorium runs 30 more days, so
/// the hold gets that end date instead of ending now. `NotFound` for a hold of another case.
pub fn lift(
    conn: &mut DbConn,
    case_id: i64,
    hold_id: i64,
    now: NaiveDateTime,
) -> AppResult<Lifted> {
    let (kind, ends_at): (String, Option<NaiveDateTime>) = holds::table
        .find(hold_id)
        .filter(holds::case_id.eq(case_id))
        .select((holds::kind, holds::ends_at))
        .first(conn)?;
    if kind == MENTAL_HEALTH_BREATHING_SPACE {
        if let Some(end) = ends_at {
            return Err(AppError::Conflict(format!(
                "Treatment has already ended; this Breathing Space protects the customer until {} UTC.",
                end.format("%Y-%m-%d %H:%M")
            )));
        }
        let end = now + chrono::Duration::days(MENTAL_HEALTH_TAIL_DAYS);
        diesel::update(holds::table.find(hold_id))
            .filter(holds::lifted_at.is_null())
            .set(holds::ends_at.eq(end))
            .execute(conn)?;
        return Ok(Lifted::EndsAt(end));
    }
    diesel::update(holds::table.find(hold_id))
        .filter(holds::lifted_at.is_null())
        .set(holds::lifted_at.eq(now))
        .execute(conn)?;
    Ok(Lifted::Now)
}

#[derive(Queryable, Serialize, Debug)]
pub struct HoldRow {
    pub id: i64,
    pub kind: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub lifted_at: Option<NaiveDateTime>,
    pub note: Option<String>,
}

pub fn for_case(conn: &mut DbConn, case_id: i64) -> AppResult<Vec<HoldRow>> {
    Ok(holds::table
        .filter(holds::case_id.eq(case_id))
        .order(holds::id.desc())
        .select((
            holds::id,
            holds::kind,
            holds::starts_at,
            holds::ends_at,
            holds::lifted_at,
            holds::note,
        ))
        .load(conn)?)
}

/// The case's holds not lifted, as (start, end): what the contact rules weigh.
pub fn not_lifted(
    conn: &mut DbConn,
    case_id: i64,
) -> AppResult<Vec<(NaiveDateTime, Option<NaiveDateTime>)>> {
    Ok(holds::table
        .filter(holds::case_id.eq(case_id))
        .filter(holds::lifted_at.is_null())
        .select((holds::starts_at, holds::ends_at))
        .load(conn)?)
}

/// Whether a hold stops contact with the case's customer at `now`, as the contact rules judge
/// it (`HoldPeriod::applies_at`).
pub fn any_active(conn: &mut DbConn, case_id: i64, now: NaiveDateTime) -> AppResult<bool> {
    let at = super::utc(now);
    Ok(super::history::hold_periods(not_lifted(conn, case_id)?)
        .iter()
        .any(|hold| hold.applies_at(at)))
}
