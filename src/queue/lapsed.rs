//! Claims that ran out with no outcome: the handler's browser closed, or they walked away,
//! mid-call. Nobody knows whether the customer was called, so the claim ends and the case goes
//! back on schedule as if a call was made when the handler was last seen on it: another handler
//! cannot ring the customer minutes later, inside the gap the rules promise between calls.

use chrono::{DateTime, Utc};

use super::store;
use crate::{
    audit::{self, Actor},
    cases::{self, schedule},
    db::{self, DbConn},
    error::AppResult,
};

/// Settles lapsed claims (this handler's only, when one is given) in a transaction of its own;
/// returns how many. Safe with several instances: each takes rows no other has locked.
pub fn settle(conn: &mut DbConn, now: DateTime<Utc>, handler_id: Option<i64>) -> AppResult<usize> {
    db::write_transaction(conn, |conn| settle_within(conn, now, handler_id))
}

/// [`settle`] inside the caller's transaction.
pub fn settle_within(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    handler_id: Option<i64>,
) -> AppResult<usize> {
    let lapsed = store::lapsed_claims(conn, now.naive_utc(), handler_id)?;
    for &case_id in &lapsed {
        // Locked by `lapsed_claims`: this read is current.
        let case = cases::store::find(conn, case_id)?;
        let case = cases::store::keep_possible_call(conn, case, now.naive_utc())?;
        schedule::reschedule(conn, &case, now)?;
        audit::record(
            conn,
            Actor::System,
            audit::Entry::new("claim_lapsed", "case", Some(case_id))
                .client(Some(case.client_id))
                .detail(
                    "The claim ran out with no outcome; the next call waits as if one was made",
                ),
        )?;
    }
    Ok(lapsed.len())
}
