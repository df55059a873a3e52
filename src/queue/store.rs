//! The queue's statements. Claiming is the one place the backends really differ: PostgreSQL
//! claims with `FOR UPDATE SKIP LOCKED`, so any number of instances can claim at once without two
//! handlers ever getting the same case; SQLite serialises writers (see `db::write_transaction`).

use chrono::NaiveDateTime;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Timestamp},
};

use crate::{
    db::{schema::cases, DbConn},
    error::AppResult,
};

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// How many waiting cases one promotion moves into the queue; the rest follow on the next claim.
const PROMOTE_BATCH: i64 = 500;

/// Moves cases whose time has come into the queue: scheduled ones now due, holds that ended,
/// and claims whose lease ran out.
pub fn promote_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    let lock = match conn.backend() {
        crate::db::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        crate::db::Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE cases SET status = 'queued', claimed_by = NULL, claim_expires_at = NULL, updated_at = $1 \
         WHERE id IN (SELECT id FROM cases WHERE status IN ('scheduled', 'on_hold', 'claimed') \
         AND next_contact_at <= $1 ORDER BY next_contact_at LIMIT {PROMOTE_BATCH} {lock})"
    );
    Ok(sql_query(sql).bind::<Timestamp, _>(now).execute(conn)?)
}

/// Claims the highest-priority queued case for `handler_id` until `lease_until`.
pub fn claim_first_queued(
    conn: &mut DbConn,
    handler_id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> AppResult<Option<i64>> {
    const PICK: &str = "SELECT id FROM cases WHERE status = 'queued' \
                        ORDER BY priority_band, arrears_since, referred_at, id LIMIT 1";
    let claimed: Option<ClaimedId> = match conn {
        DbConn::Postgres(pg) => sql_query(format!(
            "UPDATE cases SET status = 'claimed', claimed_by = $1, claim_expires_at = $2, \
             next_contact_at = $2, updated_at = $3 \
             WHERE id = ({PICK} FOR UPDATE SKIP LOCKED) RETURNING id"
        ))
        .bind::<BigInt, _>(handler_id)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .get_result(pg)
        .optional()?,
        DbConn::Sqlite(sqlite) => {
            let picked: Option<ClaimedId> = sql_query(PICK).get_result(sqlite).optional()?;
            if let Some(ClaimedId { id }) = picked {
                diesel::update(cases::table.find(id))
                    .set((
                        cases::status.eq("claimed"),
                        cases::claimed_by.eq(handler_id),
                        cases::claim_expires_at.eq(lease_until),
                        cases::next_contact_at.eq(lease_until),
                        cases::updated_at.eq(now),
                    ))
                    .execute(sqlite)?;
            }
            picked
        }
    };
    Ok(claimed.map(|c| c.id))
}

/// The case this handler holds under a live lease, if any.
pub fn current_claim(
    conn: &mut DbConn,
    handler_id: i64,
    now: NaiveDateTime,
) -> AppResult<Option<i64>> {
    Ok(cases::table
        .filter(cases::status.eq("claimed"))
        .filter(cases::claimed_by.eq(handler_id))
        .filter(cases::claim_expires_at.gt(now))
        .select(cases::id)
        .first(conn)
        .optional()?)
}

/// Extends a live lease held by this handler; false when it is not theirs (any more).
pub fn renew(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> AppResult<bool> {
    let updated = diesel::update(cases::table.find(case_id))
        .filter(cases::status.eq("claimed"))
        .filter(cases::claimed_by.eq(handler_id))
        .filter(cases::claim_expires_at.gt(now))
        .set((
            cases::claim_expires_at.eq(lease_until),
            cases::next_contact_at.eq(lease_until),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}
