//! The queue's statements. Claiming is the one place the backends really differ: PostgreSQL
//! claims with `FOR UPDATE SKIP LOCKED`, so any number of instances can claim at once without two
//! handlers ever getting the same case; SQLite serialises writers (see `db::write_transaction`).

use chrono::NaiveDateTime;
use diesel::{
    pg::Pg,
    prelude::*,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_query,
    sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp},
};

use super::Claimed;
use crate::{
    audit::{self, Actor},
    cases::{history, utc, Case},
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
/// (index `cases_waiting`). Claims that ran out are [`super::lapsed`]'s.
pub fn promote_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    let sql = format!(
        "UPDATE cases SET status = 'queued', updated_at = $1 WHERE id IN (SELECT id FROM cases \
         WHERE status IN ('scheduled', 'on_hold') AND next_contact_at <= $1 \
         ORDER BY next_contact_at LIMIT {PROMOTE_BATCH}{})",
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

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(embed)]
    case: Case,
    #[diesel(sql_type = Array<Timestamp>)]
    attempt_times: Vec<NaiveDateTime>,
    #[diesel(sql_type = Array<Timestamp>)]
    hold_starts: Vec<NaiveDateTime>,
    #[diesel(sql_type = Array<Nullable<Timestamp>>)]
    hold_ends: Vec<Option<NaiveDateTime>>,
    #[diesel(sql_type = Bool)]
    risk_flagged: bool,
}

/// The claim as one statement on PostgreSQL: skip a handler on a break or already holding a
/// case, take the first queued case nobody else has locked, write the audit entry, and return
/// the case with what the rules and the script need. One round trip, committed on its own, so a
/// claim holds its row lock for the shortest possible time.
const CLAIM_POSTGRES: &str = "WITH picked AS ( \
    SELECT id FROM cases WHERE status = 'queued' \
    AND NOT EXISTS (SELECT 1 FROM handler_breaks b WHERE b.user_id = $1 AND b.starts_at <= $3 AND b.ends_at > $3) \
    AND NOT EXISTS (SELECT 1 FROM cases h WHERE h.status = 'claimed' AND h.claimed_by = $1 AND h.claim_expires_at > $3) \
    ORDER BY priority_band, arrears_since, referred_at, id LIMIT 1 FOR UPDATE SKIP LOCKED), \
  claimed AS ( \
    UPDATE cases c SET status = 'claimed', claimed_by = $1, claim_expires_at = $2, next_contact_at = $2, updated_at = $3 \
    FROM picked WHERE c.id = picked.id RETURNING c.*), \
  audited AS ( \
    INSERT INTO audit_log (occurred_at, actor, actor_user_id, action, entity, entity_id, client_id, detail) \
    SELECT $4, $5, $6, 'case_claimed', 'case', id, client_id, '' FROM claimed) \
  SELECT claimed.*, \
    ARRAY(SELECT a.attempted_at FROM contact_attempts a WHERE a.case_id = claimed.id) AS attempt_times, \
    ARRAY(SELECT h.starts_at FROM holds h WHERE h.case_id = claimed.id AND h.lifted_at IS NULL ORDER BY h.id) AS hold_starts, \
    ARRAY(SELECT h.ends_at FROM holds h WHERE h.case_id = claimed.id AND h.lifted_at IS NULL ORDER BY h.id) AS hold_ends, \
    (EXISTS (SELECT 1 FROM holds h WHERE h.case_id = claimed.id AND h.kind = 'risk_to_life') \
     OR EXISTS (SELECT 1 FROM escalations e WHERE e.case_id = claimed.id AND e.kind = 'risk_to_life')) AS risk_flagged \
  FROM claimed";

/// `CLAIM_POSTGRES` with its parameters, as a statement diesel prepares once per connection and
/// then reuses (`sql_query` is never cached): the text never changes, so PostgreSQL need not
/// parse and plan it again on every claim.
#[derive(QueryId)]
struct ClaimStatement {
    handler_id: i64,
    lease_until: NaiveDateTime,
    now: NaiveDateTime,
    audit_at: NaiveDateTime,
    actor: String,
    actor_user_id: Option<i64>,
}

impl QueryFragment<Pg> for ClaimStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = CLAIM_POSTGRES;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            match &rest[at + 1..at + 1 + digits] {
                "1" => out.push_bind_param::<BigInt, _>(&self.handler_id)?,
                "2" => out.push_bind_param::<Timestamp, _>(&self.lease_until)?,
                "3" => out.push_bind_param::<Timestamp, _>(&self.now)?,
                "4" => out.push_bind_param::<Timestamp, _>(&self.audit_at)?,
                "5" => out.push_bind_param::<Text, _>(&self.actor)?,
                "6" => out.push_bind_param::<Nullable<BigInt>, _>(&self.actor_user_id)?,
                other => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        format!("the claim statement has no parameter ${other}").into(),
                    ))
                }
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl Query for ClaimStatement {
    type SqlType = diesel::sql_types::Untyped;
}

impl RunQueryDsl<PgConnection> for ClaimStatement {}

/// Claims a new case for a handler who is not on a break and holds none; `None` when they are
/// on a break, already hold a case, or nothing is queued. Runs in its own transaction.
pub fn claim_new(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> AppResult<Option<Claimed>> {
    match conn {
        DbConn::Postgres(pg) => {
            let statement = ClaimStatement {
                handler_id,
                lease_until,
                now,
                audit_at: chrono::Utc::now().naive_utc(),
                actor: actor.label(),
                actor_user_id: actor.user_id(),
            };
            let row = match statement.get_result::<ClaimedRow>(pg).optional() {
                Ok(row) => row,
                // Another claim by this handler committed first (the statement's own check
                // could not see it yet), or a claim of theirs ran out and is still marked
                // claimed. Put the latter back and try once more; for the former the caller
                // answers with the case they now hold.
                Err(e) if crate::db::violates_unique(&e, ONE_CLAIM_PER_HANDLER) => {
                    if super::lapsed::settle(conn, utc(now), Some(handler_id))? == 0 {
                        return Ok(None);
                    }
                    return claim_new(conn, actor, handler_id, now, lease_until);
                }
                Err(e) => return Err(e.into()),
            };
            Ok(row.map(|row| Claimed {
                history: history::assemble(
                    &row.case,
                    row.attempt_times,
                    row.hold_starts.into_iter().zip(row.hold_ends).collect(),
                ),
                risk_flagged: row.risk_flagged,
                case: row.case,
            }))
        }
        DbConn::Sqlite(_) => crate::db::write_transaction(conn, |conn| {
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
                audit::Entry::new("case_claimed", "case", Some(case_id))
                    .client(Some(case.client_id)),
            )?;
            Ok(Some(Claimed {
                history: history::load(conn, &case)?,
                risk_flagged: crate::support::risk_flagged(conn, case_id)?,
                case,
            }))
        }),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_statement_binds_every_placeholder_in_order() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let statement = ClaimStatement {
            handler_id: 7,
            lease_until: at,
            now: at,
            audit_at: at,
            actor: "token:3".into(),
            actor_user_id: None,
        };
        let sql = diesel::debug_query::<Pg, _>(&statement).to_string();
        let placeholders = CLAIM_POSTGRES.matches('$').count();
        // Every `$n` in the text became its own numbered parameter, the last one included.
        assert!(sql.contains(&format!("${placeholders}")), "{sql}");
        assert!(!sql.contains(&format!("${}", placeholders + 1)), "{sql}");
        assert!(sql.contains("binds: [7, "), "{sql}");
        assert!(sql.contains("\"token:3\""), "{sql}");
    }
}
