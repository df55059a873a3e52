//! The queue's statements. Claiming is the one place the backends really differ: PostgreSQL
//! claims with `FOR UPDATE SKIP LOCKED`, so any number of instances can claim at once without two
//! handlers ever getting the same case; SQLite serialises writers (see `db::write_transaction`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Nullable, Timestamp},
};

use super::{
    claim_statement::{ClaimStatement, ClaimedRow},
    Asking, Claimed,
};
use crate::{
    audit,
    cases::{history, utc},
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

/// Moves cases whose time has come into the queue: scheduled ones now due, and holds that ended
/// (index `cases_waiting`). Claims that ran out are [`super::lapsed`]'s. When more are due than
/// one promotion moves (the morning after a night of referrals), the first to go are the ones
/// the queue would serve first: due callbacks and vulnerable customers before the thousands
/// due at the same hour.
pub fn promote_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    let sql = format!(
        "UPDATE cases SET status = 'queued', updated_at = $1 WHERE id IN (SELECT id FROM cases \
         WHERE status IN ('scheduled', 'on_hold') AND next_contact_at <= $1 \
         ORDER BY priority_band, arrears_since, referred_at LIMIT {PROMOTE_BATCH}{})",
        skip_locked(conn)
    );
    Ok(sql_query(sql).bind::<Timestamp, _>(now).execute(conn)?)
}

/// Row locks for work any instance may pick up: on PostgreSQL each takes rows no other has
/// locked; SQLite has one writer at a time anyway.
fn skip_locked(conn: &DbConn) -> &'static str {
    match conn.backend() {
        crate::db::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        crate::db::Backend::Sqlite => "",
    }
}

/// Ends the claim a handler holds (they were deactivated): its lease runs out now, and the next
/// look for lapsed claims puts the case back.
pub fn end_claims_of(conn: &mut DbConn, handler_id: i64, now: NaiveDateTime) -> AppResult<usize> {
    Ok(diesel::update(
        cases::table
            .filter(cases::status.eq("claimed"))
            .filter(cases::claimed_by.eq(handler_id))
            .filter(cases::claim_expires_at.gt(now)),
    )
    .set((
        cases::claim_expires_at.eq(now),
        cases::next_contact_at.eq(now),
    ))
    .execute(conn)?)
}

/// Claims whose lease ran out (index `cases_one_claim_per_handler`, one entry per handler on a
/// call), this handler's only when one is given; locked until the caller's transaction ends.
pub fn lapsed_claims(
    conn: &mut DbConn,
    now: NaiveDateTime,
    handler_id: Option<i64>,
) -> AppResult<Vec<i64>> {
    let sql = format!(
        "SELECT id FROM cases WHERE status = 'claimed' AND claim_expires_at <= $1 \
         AND ($2 IS NULL OR claimed_by = $2) ORDER BY id LIMIT {PROMOTE_BATCH}{}",
        skip_locked(conn)
    );
    let rows: Vec<ClaimedId> = sql_query(sql)
        .bind::<Timestamp, _>(now)
        .bind::<Nullable<BigInt>, _>(handler_id)
        .load(conn)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Claims the highest-priority queued case for `handler_id` until `lease_until`.
pub fn claim_first_queued(
    conn: &mut DbConn,
    handler_id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> AppResult<Option<i64>> {
    // Cases equal up to their referral time come in the queue index's order (migration 25).
    const PICK: &str = "SELECT id FROM cases WHERE status = 'queued' \
                        ORDER BY priority_band, arrears_since, referred_at LIMIT 1";
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

/// Claims a new case for each handler asking (distinct handlers, answered in the order asked)
/// who is not on a break and holds none; `None` for the others, and for those the queue ran out
/// before. Manages its own transactions.
pub fn claim_new(
    conn: &mut DbConn,
    asking: &[Asking],
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> AppResult<Vec<Option<Claimed>>> {
    let pg = match conn {
        _ if asking.is_empty() => return Ok(Vec::new()),
        DbConn::Postgres(pg) => pg,
        // Writers take turns on SQLite: one claim at a time is all it can do anyway.
        DbConn::Sqlite(_) => {
            return asking
                .iter()
                .map(|one| claim_one_sqlite(conn, *one, now, lease_until))
                .collect()
        }
    };
    let rows = match ClaimStatement::new(asking, now, lease_until).load::<ClaimedRow>(pg) {
        Ok(rows) => rows,
        // One of them already holds a case the statement's own check could not see (another
        // claim of theirs committed first), or holds one that ran out and is still marked
        // claimed. Each is asked for on their own, which sorts out both.
        Err(e) if crate::db::violates_unique(&e, ONE_CLAIM_PER_HANDLER) && asking.len() > 1 => {
            let mut claimed = Vec::with_capacity(asking.len());
            for one in asking {
                claimed.extend(claim_new(
                    conn,
                    std::slice::from_ref(one),
                    now,
                    lease_until,
                )?);
            }
            return Ok(claimed);
        }
        // Put back a claim of theirs that ran out and try once more; if none had, they hold a
        // live one, which the caller answers with.
        Err(e) if crate::db::violates_unique(&e, ONE_CLAIM_PER_HANDLER) => {
            if super::lapsed::settle(conn, utc(now), Some(asking[0].handler_id))? == 0 {
                return Ok(vec![None]);
            }
            return claim_new(conn, asking, now, lease_until);
        }
        Err(e) => return Err(e.into()),
    };
    let mut by_handler: HashMap<i64, Claimed> = rows
        .into_iter()
        .filter_map(|row| {
            let handler = row.case.claimed_by?;
            let claimed = Claimed {
                history: history::assemble(
                    &row.case,
                    row.attempt_times,
                    row.unrecorded_times,
                    row.hold_starts.into_iter().zip(row.hold_ends).collect(),
                ),
                risk_flagged: row.risk_flagged,
                case: row.case,
            };
            Some((handler, claimed))
        })
        .collect();
    Ok(asking
        .iter()
        .map(|one| by_handler.remove(&one.handler_id))
        .collect())
}

/// One claim on SQLite, in one write transaction.
fn claim_one_sqlite(
    conn: &mut DbConn,
    asking: Asking,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> AppResult<Option<Claimed>> {
    let Asking { actor, handler_id } = asking;
    crate::db::write_transaction(conn, |conn| {
        // Writers take turns on SQLite, so only a claim that ran out can be in the way.
        super::lapsed::settle_within(conn, utc(now), Some(handler_id))?;
        if super::breaks::active_until(conn, handler_id, now)?.is_some()
            || current_claim(conn, handler_id, now)?.is_some()
        {
            return Ok(None);
        }
        let Some(case_id) = claim_first_queued(conn, handler_id, now, lease_until)? else {
            return Ok(None);
        };
        let case = crate::cases::store::find(conn, case_id)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("case_claimed", "case", Some(case_id)).client(Some(case.client_id)),
        )?;
        Ok(Some(Claimed {
            history: history::load(conn, &case)?,
            risk_flagged: crate::support::risk_flagged(conn, case_id)?,
            case,
        }))
    })
}

/// The unique index that keeps a handler to one claimed case (migration 11).
const ONE_CLAIM_PER_HANDLER: &str = "cases_one_claim_per_handler";

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
