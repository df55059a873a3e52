//! The claim on PostgreSQL: one statement claims a case for each of several handlers asking at
//! the same moment. A claim's cost is mostly the statement's own (planning is cached, but each
//! execution sets up its plan, takes its locks, commits and waits for the WAL to reach disk),
//! not the rows it writes: eight claims in one statement took about a quarter of the database
//! time of eight statements (README, Benchmarks).

use chrono::NaiveDateTime;
use diesel::{
    pg::Pg,
    prelude::*,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp},
};

use super::Asking;
use crate::cases::Case;

/// Skips handlers on a break or already holding a case, takes as many queued cases as there are
/// handlers asking (the first ones nobody else has locked, in priority order: the handler who
/// asked first gets the first; cases equal in priority up to their referral time in the queue
/// index's order, see migration 25), writes an audit entry for each claim, and returns each case
/// with what the rules and the script need. (`OFFSET 0` keeps each handler's checks a look-up
/// of that handler: joined instead, the plan made while nobody held a case read every claimed
/// case for each of them.) One round trip, committed on its own, so the row
/// locks are held for the shortest possible time.
const CLAIM_POSTGRES: &str = "WITH asking AS ( \
    SELECT a.handler, a.actor, a.actor_user_id, row_number() OVER (ORDER BY a.ord) AS turn \
    FROM (SELECT * FROM unnest($1::bigint[], $5::text[], $6::bigint[]) WITH ORDINALITY LIMIT {handlers}) \
      AS a(handler, actor, actor_user_id, ord) \
    WHERE NOT EXISTS (SELECT 1 FROM handler_breaks b WHERE b.user_id = a.handler AND b.starts_at <= $3 AND b.ends_at > $3 OFFSET 0) \
    AND NOT EXISTS (SELECT 1 FROM cases h WHERE h.status = 'claimed' AND h.claimed_by = a.handler AND h.claim_expires_at > $3 OFFSET 0)), \
  picked AS ( \
    SELECT id, row_number() OVER (ORDER BY priority_band, arrears_since, referred_at) AS turn \
    FROM (SELECT id, priority_band, arrears_since, referred_at FROM cases \
      WHERE status = 'queued' AND EXISTS (SELECT 1 FROM asking) \
      ORDER BY priority_band, arrears_since, referred_at \
      LIMIT {handlers} FOR UPDATE SKIP LOCKED) first_queued), \
  claimed AS ( \
    UPDATE cases c SET status = 'claimed', claimed_by = asking.handler, claim_expires_at = $2, next_contact_at = $2, updated_at = $3 \
    FROM picked JOIN asking USING (turn) WHERE c.id = picked.id \
    RETURNING c.*, asking.actor AS claimed_for_actor, asking.actor_user_id AS claimed_for_user), \
  audited AS ( \
    INSERT INTO audit_log (occurred_at, actor, actor_user_id, action, entity, entity_id, client_id, detail) \
    SELECT $4, claimed_for_actor, claimed_for_user, 'case_claimed', 'case', id, client_id, '' FROM claimed) \
  SELECT claimed.*, \
    ARRAY(SELECT a.attempted_at FROM contact_attempts a WHERE a.case_id = claimed.id) AS attempt_times, \
    ARRAY(SELECT u.last_seen_at FROM unrecorded_calls u WHERE u.case_id = claimed.id) AS unrecorded_times, \
    ARRAY(SELECT h.starts_at FROM holds h WHERE h.case_id = claimed.id AND h.lifted_at IS NULL ORDER BY h.id) AS hold_starts, \
    ARRAY(SELECT h.ends_at FROM holds h WHERE h.case_id = claimed.id AND h.lifted_at IS NULL ORDER BY h.id) AS hold_ends, \
    (EXISTS (SELECT 1 FROM holds h WHERE h.case_id = claimed.id AND h.kind = 'risk_to_life') \
     OR EXISTS (SELECT 1 FROM escalations e WHERE e.case_id = claimed.id AND e.kind = 'risk_to_life')) AS risk_flagged \
  FROM claimed";

/// A case claimed by the statement, with its history.
#[derive(QueryableByName)]
pub struct ClaimedRow {
    #[diesel(embed)]
    pub case: Case,
    #[diesel(sql_type = Array<Timestamp>)]
    pub attempt_times: Vec<NaiveDateTime>,
    #[diesel(sql_type = Array<Timestamp>)]
    pub unrecorded_times: Vec<NaiveDateTime>,
    #[diesel(sql_type = Array<Timestamp>)]
    pub hold_starts: Vec<NaiveDateTime>,
    #[diesel(sql_type = Array<Nullable<Timestamp>>)]
    pub hold_ends: Vec<Option<NaiveDateTime>>,
    #[diesel(sql_type = Bool)]
    pub risk_flagged: bool,
}

/// `CLAIM_POSTGRES` with its parameters, as a statement diesel prepares once per connection and
/// batch size, then reuses (`sql_query` is never cached), so PostgreSQL need not parse and plan
/// it again on every claim. The number of handlers is written into the text, as the `LIMIT`s
/// of the handlers' list and of the queue: the plan, made once, must not guess it. Guessing a
/// hundred handlers (as for any array), it checked who already holds a case by reading every
/// claimed case instead of looking each handler up; a limit it cannot read, it takes as a tenth
/// of the queue.
pub struct ClaimStatement {
    /// `CLAIM_POSTGRES` for this many handlers, written once (diesel walks a statement more
    /// than once per execution: for its cache key, then to send it).
    sql: String,
    handlers: Vec<i64>,
    lease_until: NaiveDateTime,
    now: NaiveDateTime,
    audit_at: NaiveDateTime,
    actors: Vec<String>,
    actor_user_ids: Vec<Option<i64>>,
}

impl ClaimStatement {
    pub fn new(asking: &[Asking], now: NaiveDateTime, lease_until: NaiveDateTime) -> Self {
        ClaimStatement {
            sql: CLAIM_POSTGRES.replace("{handlers}", &asking.len().to_string()),
            handlers: asking.iter().map(|a| a.handler_id).collect(),
            lease_until,
            now,
            audit_at: chrono::Utc::now().naive_utc(),
            actors: asking.iter().map(|a| a.actor.label()).collect(),
            actor_user_ids: asking.iter().map(|a| a.actor.user_id()).collect(),
        }
    }
}

/// Prepared statements are told apart by their text, which differs by batch size.
impl QueryId for ClaimStatement {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for ClaimStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            match &rest[at + 1..at + 1 + digits] {
                "1" => out.push_bind_param::<Array<BigInt>, _>(&self.handlers)?,
                "2" => out.push_bind_param::<Timestamp, _>(&self.lease_until)?,
                "3" => out.push_bind_param::<Timestamp, _>(&self.now)?,
                "4" => out.push_bind_param::<Timestamp, _>(&self.audit_at)?,
                "5" => out.push_bind_param::<Array<Text>, _>(&self.actors)?,
                "6" => out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.actor_user_ids)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;

    #[test]
    fn the_claim_statement_binds_every_placeholder_in_order() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let asking = [
            Asking {
                actor: Actor::PersonalToken(3),
                handler_id: 7,
            },
            Asking {
                actor: Actor::User(8),
                handler_id: 8,
            },
        ];
        let statement = ClaimStatement::new(&asking, at, at);
        let sql = diesel::debug_query::<Pg, _>(&statement).to_string();
        let placeholders = CLAIM_POSTGRES.matches('$').count();
        // Every `$n` in the text became its own numbered parameter, the last one included.
        assert!(sql.contains(&format!("${placeholders}")), "{sql}");
        assert!(!sql.contains(&format!("${}", placeholders + 1)), "{sql}");
        assert!(sql.contains("binds: [[7, 8], "), "{sql}");
        assert!(sql.contains("[\"token:3\", \"user:8\"]"), "{sql}");
        assert!(sql.contains("[None, Some(8)]"), "{sql}");
        assert!(sql.contains("LIMIT 2 FOR UPDATE SKIP LOCKED"), "{sql}");
    }
}
