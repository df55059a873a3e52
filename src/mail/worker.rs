//! The sender: takes due messages from the outbox, renders and sends them, and records the
//! result. Runs in every instance that has workers switched on.

use std::{sync::Arc, time::Duration};

use actix_web::web;

use super::{compose, outbox, render, transport::Transport};
use crate::{db, error::AppResult, state::AppState};

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
    let now = state.clock.now_naive();
    let rows = outbox::claim_due(conn, now, BATCH)?;
    let last_start = std::time::Instant::now() + LAST_SEND_START;
    // Composing writes tracked support links; one transaction per batch (not one commit per
    // link) and the same for recording the results.
    let prepared = db::write_transaction(conn, |conn| -> AppResult<Vec<Prepared>> {
        let mut prepared = Vec::with_capacity(rows.len());
        for row in &rows {
            if compose::to_customer(&row.kind) && withheld(conn, row, now)? {
                outbox::mark_suppressed(conn, row.id)?;
                continue;
            }
            let rendered = compose::context(conn, state, row)
                .and_then(|context| render::render(&state.templates, &row.kind, &context))
                .map_err(|e| format!("could not be composed: {e}"));
            prepared.push((row, rendered));
        }
        Ok(prepared)
    })?;
    let results = send_all(&prepared, &state.config.mail_from, transport, last_start);
    db::write_transaction(conn, |conn| -> AppResult<()> {
        for ((row, _), result) in prepared.iter().zip(results) {
            let now = state.clock.now_naive();
            let recorded = match &result {
                Ok(()) => outbox::mark_sent(conn, row, now)?,
                Err(error) => {
                    tracing::warn!(
                        outbox_id = row.id,
                        attempts = row.attempts + 1,
                        error,
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
        }
        Ok(())
    })?;
    Ok(rows.len())
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
    match row.case_id {
        Some(case_id) => crate::cases::holds::any_active(conn, case_id, now),
        None => Ok(false),
    }
}

type Prepared<'a> = (&'a outbox::OutboxRow, Result<render::Rendered, String>);

/// No send starts later than this after its batch was claimed, so none is still going when the
/// batch's lease runs out and another sender, taking the message over, sends it a second time.
/// What was not started is recorded as failed and retried.
const LAST_SEND_START: Duration = Duration::from_secs(
    outbox::SENDING_LEASE_MINUTES as u64 * 60 - super::transport::LONGEST_SEND.as_secs(),
);

// Sending has at least a minute of each lease (the subtraction above fails to compile if the
// longest send does not fit in a lease at all).
const _: () = assert!(LAST_SEND_START.as_secs() >= 60);

/// Why a message waits for the next round.
const OUT_OF_TIME: &str = "not sent: its batch ran out of time (a slow mail server); will retry";

/// Sends prepared messages over up to `PARALLEL_SENDS` connections, starting none after
/// `last_start`; results in input order.
fn send_all(
    prepared: &[Prepared<'_>],
    from: &str,
    transport: &Transport,
    last_start: std::time::Instant,
) -> Vec<Result<(), String>> {
    let chunk = prepared.len().div_ceil(PARALLEL_SENDS).max(1);
    std::thread::scope(|scope| {
        let senders: Vec<_> = prepared
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(row, rendered)| match rendered {
                            Ok(_) if std::time::Instant::now() > last_start => {
                                Err(OUT_OF_TIME.to_string())
                            }
                            Ok(mail) => transport.send(from, &row.recipient, &row.message_id, mail),
                            Err(e) => Err(e.clone()),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        senders
            .into_iter()
            .zip(prepared.chunks(chunk))
            .flat_map(|(sender, part)| {
                sender.join().unwrap_or_else(|_| {
                    vec![Err("the sender stopped unexpectedly".to_string()); part.len()]
                })
            })
            .collect()
    })
}

/// Sends until nothing is due (tests and the command line use this to drain deterministically).
pub async fn drain(state: web::Data<AppState>, transport: Arc<Transport>) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let (st, tr) = (state.clone(), transport.clone());
        let handled = db::run(&state.pool, move |conn| deliver_batch(conn, &st, &tr)).await?;
        total += handled;
        if handled == 0 {
            return Ok(total);
        }
    }
}

/// The background loop: polls every second while idle, queues due client reports once a minute,
/// and erases cases past their client's retention period once an hour.
pub async fn run(state: web::Data<AppState>, transport: Arc<Transport>) {
    let mut tick: u64 = 0;
    loop {
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
        if tick.is_multiple_of(3600) {
            let st = state.clone();
            let erased = db::run(&state.pool, move |conn| {
                crate::cases::privacy::apply_retention(conn, st.clock.now_naive())
            })
            .await;
            match erased {
                Ok(0) => {}
                Ok(n) => tracing::info!(erased = n, "cases erased under retention policies"),
                Err(e) => tracing::warn!(error = %e, "could not apply retention policies"),
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
    use std::time::Instant;

    use super::*;

    fn row(id: i64) -> outbox::OutboxRow {
        let at = chrono::DateTime::UNIX_EPOCH.naive_utc();
        outbox::OutboxRow {
            id,
            message_id: format!("<{id}@outreach.test>"),
            kind: "supervisor_alert".into(),
            case_id: None,
            recipient: "sup@example.test".into(),
            payload: "{}".into(),
            status: "sending".into(),
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
            sent_at: None,
            created_at: at,
        }
    }

    #[test]
    fn no_send_starts_once_the_batchs_time_is_up() {
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::File(
            lettre::FileTransport::new(dir.path()),
            dir.path().to_path_buf(),
        );
        let mail = render::Rendered {
            subject: "Alert".into(),
            text: "Text".into(),
            html: "<p>Text</p>".into(),
        };
        let rows = [row(1), row(2)];
        let prepared: Vec<Prepared<'_>> = rows.iter().map(|r| (r, Ok(mail.clone()))).collect();
        let from = "outreach@example.test";
        let written = || std::fs::read_dir(dir.path()).unwrap().count();

        let late = send_all(&prepared, from, &transport, Instant::now());
        assert_eq!(late, vec![Err(OUT_OF_TIME.to_string()); 2]);
        assert_eq!(written(), 0, "nothing went out");

        let in_time = Instant::now() + Duration::from_secs(60);
        assert_eq!(
            send_all(&prepared, from, &transport, in_time),
            vec![Ok(()); 2]
        );
        assert_eq!(written(), 2);
    }
}
