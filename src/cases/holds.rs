//! Holds: no contact while they apply.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::{
    db::{schema::holds, DbConn},
    error::AppResult,
};

/// Standard Breathing Space moratorium.
pub const BREATHING_SPACE_DAYS: i64 = 60;

pub struct NewHold<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub fn place(conn: &mut DbConn, hold: NewHold<'_>, now: NaiveDateTime) -> AppResult<()> {
    diesel::insert_into(holds::table)
        .values((
            holds::case_id.eq(hold.case_id),
            holds::kind.eq(hold.kind),
            holds::starts_at.eq(hold.starts_at),
            holds::ends_at.eq(hold.ends_at),
            holds::note.eq(hold.note),
            holds::created_by.eq(hold.created_by),
            holds::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lifts a hold; returns its case id.
pub fn lift(conn: &mut DbConn, hold_id: i64, now: NaiveDateTime) -> AppResult<i64> {
    let case_id = holds::table
        .find(hold_id)
        .select(holds::case_id)
        .first(conn)?;
    diesel::update(holds::table.find(hold_id))
        .filter(holds::lifted_at.is_null())
        .set(holds::lifted_at.eq(now))
        .execute(conn)?;
    Ok(case_id)
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
