//! What the scheduling rules need to know about a case's past, read from the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{utc, Case};
use crate::{
    db::{
        schema::{contact_attempts, unrecorded_calls},
        DbConn,
    },
    error::AppResult,
    scheduling::{ContactHistory, HoldPeriod},
};

pub fn load(conn: &mut DbConn, case: &Case) -> AppResult<ContactHistory> {
    let attempts: Vec<NaiveDateTime> = contact_attempts::table
        .filter(contact_attempts::case_id.eq(case.id))
        .select(contact_attempts::attempted_at)
        .load(conn)?;
    let unrecorded = unrecorded_calls_of(conn, case.id)?;
    let active_holds = super::holds::not_lifted(conn, case.id)?;
    Ok(assemble(case, attempts, unrecorded, active_holds))
}

/// When each call left with no outcome was last seen (see `store::keep_possible_call`), oldest
/// first.
pub fn unrecorded_calls_of(conn: &mut DbConn, case_id: i64) -> AppResult<Vec<NaiveDateTime>> {
    Ok(unrecorded_calls::table
        .filter(unrecorded_calls::case_id.eq(case_id))
        .order(unrecorded_calls::last_seen_at)
        .select(unrecorded_calls::last_seen_at)
        .load(conn)?)
}

/// The history from the case row, its recorded attempts, the calls left with no outcome (see
/// `store::keep_possible_call`) and its holds not lifted (start, end).
pub fn assemble(
    case: &Case,
    attempts: Vec<NaiveDateTime>,
    unrecorded_calls: Vec<NaiveDateTime>,
    active_holds: Vec<(NaiveDateTime, Option<NaiveDateTime>)>,
) -> ContactHistory {
    ContactHistory {
        attempts: attempts.into_iter().map(utc).collect(),
        last_conversation_at: case.last_conversation_at.map(utc),
        callback_at: case.callback_at.map(utc),
        holds: hold_periods(active_holds),
        unrecorded_calls: unrecorded_calls.into_iter().map(utc).collect(),
    }
}

/// Holds not lifted (start, end) as the rules see them.
pub fn hold_periods(not_lifted: Vec<(NaiveDateTime, Option<NaiveDateTime>)>) -> Vec<HoldPeriod> {
    not_lifted
        .into_iter()
        .map(|(starts, ends)| HoldPeriod {
            starts: utc(starts),
            ends: ends.map(utc),
        })
        .collect()
}
