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
