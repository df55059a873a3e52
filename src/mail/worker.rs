//! The sender: takes due messages from the outbox, renders and sends them, and records the
//! result. Runs in every instance that has workers switched on.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::web;

use super::{
    compose, outbox, render,
    sending::{send_all, Dispatch, Prepared, Sent, Verdict},
    transport::Transport,
};
use crate::{
    db,
    error::{AppError, AppResult},
    state::AppState,
};

const BATCH: i64 = 64;

/// Messages in flight at once. One SMTP conversation spends most of its time waiting on the
/// network (the end-of-data marker goes out as its own small packet and waits for an ACK), so
/// throughput comes from several pooled connections working side by side.
pub const PARALLEL_SENDS: usize = 16;

/// Sends one batch; returns how many messages were handled.
pub fn deliver_batch(
    conn: &mut db::DbConn,
    state: &AppState,
    transport: &Transport,
) -> AppResult<usize> {
    let claimed = Instant::now();
    let now = state.clock.now_naive();
    let rows = outbox::claim_due(conn, now, BATCH)?;
    // Composing writes tracked support links; one transaction per batch, not one commit per link.
    let prepared = db::write_transaction(conn, |conn| -> AppResult<Vec<Prepared>> {
        let mut prepared = Vec::with_capacity(rows.len());
        for row in &rows {
            if compose::to_customer(&row.kind) && withheld(conn, row, now)? {
                outbox::withdraw(conn, row)?;
                continue;
            }
            let rendered = compose::context(conn, state, row)
                .and_then(|context| render::render(&state.templates, &row.kind, &context))
                .map(|mut mail| {
                    if compose::to_customer(&row.kind) {
                        let url = compose::one_click_unsubscribe_url(state, row);
                        mail.one_click_unsubscribe = Some(url);
                    }
                    mail
                })
                .map_err(|e| composition_failed(row, e));
            prepared.push((row, rendered));
        }
        Ok(prepared)
    })?;
    let mut batch = Batch {
        conn,
        state,
        composed: Instant::now(),
        first_error: None,
    };
    send_all(
        &prepared,
        &state.config.mail_from,
        transport,
        claimed + LAST_SEND_START,
        &mut batch,
    );
    match batch.first_error {
        Some(e) => Err(e),
        None => Ok(rows.len()),
    }
}

/// The batch's side of sending, on the thread that holds its database connection.
struct Batch<'c> {
    conn: &'c mut db::DbConn,
    state: &'c AppState,
    /// When the checks made while composing were made.
    composed: Instant,
    first_error: Option<AppError>,
}

/// How long the checks made while composing a batch stand for its sends. A stop that comes
/// this soon after them is one that comes while the message is already on its way, which is
/// recorded as sent (`outbox::mark_sent`); later than this (a slow relay keeps a batch going
/// for a minute and more) each message is checked again before it goes. At the relay's usual
/// pace a whole batch is sent within it and costs no query more.
const CHECKS_STAND_FOR: std::time::Duration = std::time::Duration::from_secs(2);

impl<'a> Dispatch<'a> for Batch<'_> {
    /// Asked just before each send, as a send may start well after its batch was composed:
    /// "stop e-mails", a hold or an erasure since then stops it.
    fn may_send(&mut self, (row, _): &'a Prepared<'a>) -> Verdict {
        if self.state.is_stopping() {
            // Back to the outbox untried, for another instance or this one's restart.
            return Verdict::Later;
        }
        if self.composed.elapsed() < CHECKS_STAND_FOR {
            return Verdict::Send;
        }
        let now = self.state.clock.now_naive();
        let check = |conn: &mut db::DbConn| -> AppResult<bool> {
            Ok(outbox::still_ours(conn, row)?
                && !(compose::to_customer(&row.kind) && withheld(conn, row, now)?))
        };
        match check(self.conn) {
            Ok(true) => Verdict::Send,
            Ok(false) => Verdict::Withhold,
            Err(e) => {
                self.first_error.get_or_insert(e);
                Verdict::Later
            }
        }
    }

    /// Each result is recorded the moment its send ends, so a message the relay accepted is
    /// marked sent long before its lease could let another sender take it over.
    fn done(&mut self, (row, _): &'a Prepared<'a>, sent: Sent) {
        let now = self.state.clock.now_naive();
        if let Err(e) = record(self.conn, row, &sent, now) {
            self.first_error.get_or_insert(e);
        }
    }
}

/// What a message that could not be composed says on the supervisor's page: a reason the
/// domain gave (its link ran out), or, for a fault of ours (a template's mistake), that the log
/// has it; the fault itself, which dumps the template engine's internals, goes to the log.
fn composition_failed(row: &outbox::OutboxRow, error: AppError) -> String {
    if let AppError::Internal(cause) = &error {
        tracing::error!(outbox_id = row.id, kind = %row.kind, error = %cause, "an e-mail could not be composed");
        return "could not be composed: a fault on our side, logged with this message's number"
            .to_string();
    }
    format!("could not be composed: {error}")
}

fn record(
    conn: &mut db::DbConn,
    row: &outbox::OutboxRow,
    result: &Sent,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    let recorded = match result {
        Sent::Yes => outbox::mark_sent(conn, row, now)?,
        Sent::NotTried => outbox::release_untried(conn, row, now)?,
        Sent::Withheld => {
            // Withdrawn by an erasure, or taken over, it is someone else's to record.
            outbox::withdraw(conn, row)?;
            true
        }
        Sent::Failed(error) => {
            // A relay's refusal usually quotes the recipient's address: the supervisor's page
            // shows it from the outbox row, the log does not keep it.
            tracing::warn!(
                outbox_id = row.id,
                attempts = row.attempts + 1,
                error = %without_addresses(error),
                "e-mail not sent; will retry"
            );
            outbox::mark_failed(conn, row, error, now)?
        }
    };
    if !recorded {
        tracing::warn!(
            outbox_id = row.id,
            "e-mail outlasted its lease: another sender took it over; its result stands"
        );
    }
    Ok(())
}

/// Whether customer mail must not go: the address asked for no more, or a hold now stops all
/// contact with the customer (a Breathing Space, a death, a request not to be contacted placed
/// after the message was queued — while SMTP was down, say).
fn withheld(
    conn: &mut db::DbConn,
    row: &outbox::OutboxRow,
    now: chrono::NaiveDateTime,
) -> AppResult<bool> {
    if outbox::is_suppressed(conn, &row.recipient)? {
        return Ok(true);
    }
    // A plan replaced by a newer version (or already answered) before its e-mail went: the
    // customer would get two "please confirm" e-mails, the older perhaps last, with a button
    // that leads to "no longer open".
    if row.kind == outbox::kind::PLAN_CONFIRMATION && !plan_still_open(conn, row)? {
        return Ok(true);
    }
    match row.case_id {
        Some(case_id) => crate::cases::holds::any_active(conn, case_id, now),
        None => Ok(false),
    }
}

fn plan_still_open(conn: &mut db::DbConn, row: &outbox::OutboxRow) -> AppResult<bool> {
    let payload: serde_json::Value = serde_json::from_str(&row.payload)
        .map_err(|e| crate::error::AppError::Internal(e.into()))?;
    let plan_id = payload["plan_id"].as_i64().unwrap_or_default();
    // A plan that cannot be found is not open either: withheld, not a failure of the batch.
    match crate::plans::store::find(conn, plan_id) {
        Ok(plan) => Ok(plan.status == "awaiting_confirmation"),
        Err(crate::error::AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// `text` with every word holding an `@` (an e-mail address, however bracketed) replaced.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// No send starts later than this after its batch was claimed, so that even the longest send
/// ends a minute before the batch's lease runs out and another sender could take the message
/// over and send it a second time. What was not started goes back, untried.
const LAST_SEND_START: Duration = Duration::from_secs(
    outbox::SENDING_LEASE_MINUTES as u64 * 60 - super::transport::LONGEST_SEND.as_secs() - 60,
);

// Sending has at least a minute of each lease (the subtraction above fails to compile if the
// longest send and the margin do not fit in a lease at all).
const _: () = assert!(LAST_SEND_START.as_secs() >= 60);

/// Sends until nothing is due (tests and the command line use this to drain deterministically).
pub async fn drain(state: web::Data<AppState>, transport: Arc<Transport>) -> AppResult<usize> {
    let mut total = 0;
    while !state.is_stopping() {
        let (st, tr) = (state.clone(), transport.clone());
        let handled = db::run(&state.pool, move |conn| deliver_batch(conn, &st, &tr)).await?;
        total += handled;
        if handled == 0 {
            break;
        }
    }
    Ok(total)
}

/// The background loop: polls every second while idle and queues due client reports once a
/// minute.
pub async fn run(state: web::Data<AppState>, transport: Arc<Transport>) {
    let mut tick: u64 = 0;
    while !state.is_stopping() {
        if tick.is_multiple_of(60) {
            let st = state.clone();
            let queued = db::run(&state.pool, move |conn| {
                let now = st.clock.now();
                let today = crate::reports::periods::uk_today(now);
                crate::reports::scheduled::enqueue_due(conn, today, now.naive_utc())
            })
            .await;
            if let Err(e) = queued {
                tracing::warn!(error = %e, "could not queue scheduled reports");
            }
        }
        tick += 1;
        if let Err(e) = drain(state.clone(), transport.clone()).await {
            tracing::warn!(error = %e, "outbox worker: database unavailable; retrying");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_log_keeps_a_relays_refusal_without_the_address() {
        assert_eq!(
            without_addresses("permanent error (550): 5.1.1 <ann@example.org>: Recipient rejected"),
            "permanent error (550): 5.1.1 <address> Recipient rejected"
        );
        assert_eq!(
            without_addresses("connection refused"),
            "connection refused"
        );
    }
}
