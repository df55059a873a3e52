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
    let results = send_all(&prepared, &state.config.mail_from, transport);
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

/// Sends prepared messages over up to `PARALLEL_SENDS` connections; results in input order.
fn send_all(
    prepared: &[Prepared<'_>],
    from: &str,
    transport: &Transport,
) -> Vec<Result<(), String>> {
    let chunk = prepared.len().div_ceil(PARALLEL_SENDS).max(1);
    std::thread::scope(|scope| {
        let senders: Vec<_> = prepared
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(row, rendered)| match rendered {
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
