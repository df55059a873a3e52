//! Handler breaks: after an abusive call a handler gets time away, and no next call meanwhile.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    db::{schema::handler_breaks, DbConn},
    error::AppResult,
};

pub fn active_until(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    Ok(handler_breaks::table
        .filter(handler_breaks::user_id.eq(user_id))
        .filter(handler_breaks::starts_at.le(now))
        .filter(handler_breaks::ends_at.gt(now))
        .select(diesel::dsl::max(handler_breaks::ends_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

pub fn start(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
    minutes: i64,
    reason: &str,
) -> AppResult<NaiveDateTime> {
    let ends_at = now + chrono::Duration::minutes(minutes);
    diesel::insert_into(handler_breaks::table)
        .values((
            handler_breaks::user_id.eq(user_id),
            handler_breaks::starts_at.eq(now),
            handler_breaks::ends_at.eq(ends_at),
            handler_breaks::reason.eq(reason),
            handler_breaks::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(ends_at)
}
