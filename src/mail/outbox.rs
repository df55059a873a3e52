//! The durable outbox: one row per message, written inside the caller's transaction, so a
//! message exists exactly when the change that caused it was committed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::{
    auth::tokens,
    db::{schema::outbox, DbConn},
    error::AppResult,
};

/// Kinds of message; each has a template folder `templates/emails/<kind>/`.
pub mod kind {
    pub const UNABLE_TO_CONTACT: &str = "unable_to_contact";
    pub const SUPERVISOR_ALERT: &str = "supervisor_alert";
    pub const PLAN_CONFIRMATION: &str = "plan_confirmation";
    pub const CLIENT_REPORT: &str = "client_report";
    /// Every kind: each has a template folder (`mail::render`).
    pub const ALL: [&str; 4] = [
        UNABLE_TO_CONTACT,
        SUPERVISOR_ALERT,
        PLAN_CONFIRMATION,
        CLIENT_REPORT,
    ];
}

/// Queues a message. The Message-ID is fixed now, so every retry sends the same one and a
/// receiving system can recognise a duplicate.
pub fn enqueue(
    conn: &mut DbConn,
    kind: &str,
    case_id: Option<i64>,
    recipient: &str,
    payload: &impl Serialize,
    now: NaiveDateTime,
) -> AppResult<()> {
    let payload = serde_json::to_string(payload).map_err(anyhow::Error::from)?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::message_id.eq(format!("<{}@outreach.invalid>", tokens::random_hex(16))),
            outbox::kind.eq(kind),
            outbox::case_id.eq(case_id),
            outbox::recipient.eq(recipient),
            outbox::payload.eq(payload),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether a message of this kind was already queued for the case (some are sent only once).
pub fn already_queued(conn: &mut DbConn, kind: &str, case_id: i64) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        outbox::table
            .filter(outbox::kind.eq(kind))
            .filter(outbox::case_id.eq(case_id)),
    ))
    .get_result(conn)?)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub case_id: Option<i64>,
    pub recipient: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A claimed message stays ours this long; if the sender dies mid-send it is retried after it.
pub const SENDING_LEASE_MINUTES: i64 = 5;
/// After this many failed attempts a message stops retrying and waits for a person.
pub const MAX_ATTEMPTS: i32 = 8;

#[derive(diesel::QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Claims up to `limit` due messages for this sender. On PostgreSQL `SKIP LOCKED` means several
/// instances' workers never take the same row.
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> AppResult<Vec<OutboxRow>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let lease = now + chrono::Duration::minutes(SENDING_LEASE_MINUTES);
    let ids: Vec<i64> = crate::db::write_transaction(conn, |conn| -> AppResult<Vec<i64>> {
        // A row still `sending` when claimed had its lease run out: an attempt that never
        // reported (its sender crashed or hung). It is counted, so a message that stops its
        // sender every time is given up on like one that fails, not retried for ever. Counted
        // as the row is claimed, so only rows this sender takes.
        let ids: Vec<ClaimedId> = match conn {
            DbConn::Postgres(pg) => diesel::sql_query(
                "UPDATE outbox SET status = 'sending', next_attempt_at = $2, \
                 attempts = attempts + CASE WHEN status = 'sending' THEN 1 ELSE 0 END WHERE id IN \
                 (SELECT id FROM outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1 \
                  ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id",
            )
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(lease)
            .bind::<BigInt, _>(limit)
            .load(pg)?,
            DbConn::Sqlite(_) => {
                let ids: Vec<i64> = outbox::table
                    .filter(outbox::status.eq_any(["pending", "sending"]))
                    .filter(outbox::next_attempt_at.le(now))
                    .order((outbox::next_attempt_at, outbox::id))
                    .limit(limit)
                    .select(outbox::id)
                    .load(conn)?;
                let claimed = || outbox::table.filter(outbox::id.eq_any(&ids));
                diesel::update(claimed().filter(outbox::status.eq("sending")))
                    .set(outbox::attempts.eq(outbox::attempts + 1))
                    .execute(conn)?;
                diesel::update(claimed())
                    .set((outbox::status.eq("sending"), outbox::next_attempt_at.eq(lease)))
                    .execute(conn)?;
                ids.into_iter().map(|id| ClaimedId { id }).collect()
            }
        };
        let ids: Vec<i64> = ids.into_iter().map(|c| c.id).collect();
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(&ids))
                .filter(outbox::attempts.ge(MAX_ATTEMPTS)),
        )
        .set((
            outbox::status.eq("failed"),
            outbox::last_error.eq("its sender stopped while sending it, each time it was tried"),
        ))
        .execute(conn)?;
        Ok(outbox::table
            .filter(outbox::id.eq_any(&ids))
            .filter(outbox::status.eq("sending"))
            .select(outbox::id)
            .load(conn)?)
    })?;
    Ok(outbox::table
        .filter(outbox::id.eq_any(ids))
        .order(outbox::id)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// The message as this sender claimed it: still `sending` under the lease it set. (A macro: the
/// query's type is long to spell, and naming it with diesel's `auto_type` makes the compiler
/// work for minutes.)
macro_rules! still_ours {
    ($row:expr) => {
        outbox::table
            .find($row.id)
            .filter(outbox::status.eq("sending"))
            .filter(outbox::next_attempt_at.eq($row.next_attempt_at))
    };
}

/// Records a send; `false` when the row was no longer this sender's to record: only a row still
/// `sending` under the lease this sender set is (or withdrawn while it was, see below). A sender
/// slower than its lease finds another has taken the row over (and may have sent it, or an
/// erasure withdrawn it), and must not write its result over theirs.
pub fn mark_sent(conn: &mut DbConn, row: &OutboxRow, now: NaiveDateTime) -> AppResult<bool> {
    let sent = (
        outbox::status.eq("sent"),
        outbox::sent_at.eq(now),
        outbox::last_error.eq(None::<String>),
    );
    // Still `sending` under this sender's lease, or withdrawn while it had it (an erasure): the
    // relay had already taken it, so it went, and the record says so rather than "never sent".
    let ours_or_withdrawn_in_flight = outbox::table
        .find(row.id)
        .filter(outbox::status.eq_any(["sending", "suppressed"]))
        .filter(outbox::next_attempt_at.eq(row.next_attempt_at));
    let updated = diesel::update(ours_or_withdrawn_in_flight)
        .set(sent)
        .execute(conn)?;
    Ok(updated == 1)
}

/// Whether the message is still this sender's to send: `sending` under the lease it set, not
/// withdrawn (an erasure) or taken over since.
pub fn still_ours(conn: &mut DbConn, row: &OutboxRow) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(still_ours!(row))).get_result(conn)?)
}

/// Withholds a message this sender still has (see [`still_ours`]).
pub fn withdraw(conn: &mut DbConn, row: &OutboxRow) -> AppResult<()> {
    diesel::update(still_ours!(row))
        .set(outbox::status.eq("suppressed"))
        .execute(conn)?;
    Ok(())
}

/// Exponential back-off: 30 s, 1 min, 2 min … capped at an hour.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let seconds = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(seconds.min(3600))
}

/// Records a failed attempt (see [`mark_sent`] for when it is no longer this sender's to record).
pub fn mark_failed(
    conn: &mut DbConn,
    row: &OutboxRow,
    error: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let attempts = row.attempts + 1;
    let status = if attempts >= MAX_ATTEMPTS {
        "failed"
    } else {
        "pending"
    };
    let updated = diesel::update(still_ours!(row))
        .set((
            outbox::status.eq(status),
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(now + retry_delay(row.attempts)),
            outbox::last_error.eq(error.chars().take(500).collect::<String>()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Hands back a message this sender claimed but did not try, due now and with no attempt
/// counted (see [`mark_sent`] for when it is no longer this sender's).
pub fn release_untried(conn: &mut DbConn, row: &OutboxRow, now: NaiveDateTime) -> AppResult<bool> {
    let updated = diesel::update(still_ours!(row))
        .set((
            outbox::status.eq("pending"),
            outbox::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Puts a message that was given up on back in the queue, due now with a fresh set of attempts,
/// for a supervisor who has had what stopped it put right (the mail server, say). `false` when
/// it was not given up on: a message still retrying, or sent, stays as it is.
pub fn requeue_failed(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> AppResult<bool> {
    let updated = diesel::update(outbox::table.find(id).filter(outbox::status.eq("failed")))
        .set((
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Messages a supervisor should know about: given up, or failing and retrying.
pub fn troubled(conn: &mut DbConn) -> AppResult<Vec<OutboxRow>> {
    Ok(outbox::table
        .filter(
            outbox::status
                .eq("failed")
                .or(outbox::status.eq("pending").and(outbox::attempts.gt(0))),
        )
        .order(outbox::id.desc())
        .limit(50)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<OutboxRow>> {
    Ok(outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn is_suppressed(conn: &mut DbConn, email: &str) -> AppResult<bool> {
    Ok(stopped_since(conn, email)?.is_some())
}

/// Whether a message of `kind` about the case is still waiting to go (or going).
pub fn waiting_for_case(conn: &mut DbConn, case_id: i64, kind: &str) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        outbox::table
            .filter(outbox::case_id.eq(case_id))
            .filter(outbox::kind.eq(kind))
            .filter(outbox::status.eq_any(["pending", "sending"])),
    ))
    .get_result(conn)?)
}

/// Since when `email` has asked for no more e-mail, if it has.
pub fn stopped_since(conn: &mut DbConn, email: &str) -> AppResult<Option<NaiveDateTime>> {
    use crate::db::schema::email_suppressions;
    Ok(email_suppressions::table
        .filter(email_suppressions::address_sha256.eq(address_digest(email)))
        .select(email_suppressions::created_at)
        .first(conn)
        .optional()?)
}

/// E-mail to `email` again: its owner asked for it (on a call, to a handler, who is audited).
pub fn resume(conn: &mut DbConn, email: &str) -> AppResult<()> {
    use crate::db::schema::email_suppressions;
    diesel::delete(
        email_suppressions::table
            .filter(email_suppressions::address_sha256.eq(address_digest(email))),
    )
    .execute(conn)?;
    Ok(())
}

/// The e-mail addresses a case holds for its customer: the referral's and any a plan was sent to.
pub fn addresses_of_case(conn: &mut DbConn, case_id: i64) -> AppResult<Vec<String>> {
    use crate::db::schema::{cases, plans};
    let mut addresses: Vec<String> = plans::table
        .filter(plans::case_id.eq(case_id))
        .select(plans::email)
        .load(conn)?;
    let referral: Option<Option<String>> = cases::table
        .find(case_id)
        .select(cases::email)
        .first(conn)
        .optional()?;
    addresses.extend(referral.flatten());
    Ok(addresses)
}

/// How a stopped address is kept: the SHA-256 digest (hex) of its lower-cased form, so the stop
/// outlives the customer's erasure without the list holding their address (migration 31).
pub fn address_digest(email: &str) -> String {
    crate::auth::tokens::sha256_hex(email.to_lowercase().as_bytes())
}

/// Stops e-mail to `email`. One statement, so a second "stop" at the same moment (a double
/// click, another instance) finds the first's row instead of failing on it.
pub fn suppress(conn: &mut DbConn, email: &str, now: NaiveDateTime) -> AppResult<()> {
    use crate::db::schema::email_suppressions;
    let insert = diesel::insert_into(email_suppressions::table)
        .values((
            email_suppressions::address_sha256.eq(address_digest(email)),
            email_suppressions::created_at.eq(now),
        ))
        .on_conflict(email_suppressions::address_sha256)
        .do_nothing();
    crate::db::portable::execute(insert, conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(retry_delay(0).num_seconds(), 30);
        assert_eq!(retry_delay(1).num_seconds(), 60);
        assert_eq!(retry_delay(3).num_seconds(), 240);
        assert_eq!(retry_delay(30).num_seconds(), 3600);
    }
}
