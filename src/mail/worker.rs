//! The sender: takes due messages from the outbox, renders and sends them, and records the
//! result. Runs in every instance that has workers switched on.

use std::{sync::Arc, time::Duration};

use actix_web::web;

use super::{compose, outbox, render, transport::Transport};
use crate::{db, error::AppResult, state::AppState};

const BATCH: i64 = 50;

/// Sends one batch; returns how many messages were handled.
pub fn deliver_batch(
    conn: &mut db::DbConn,
    state: &AppState,
    transport: &Transport,
) -> AppResult<usize> {
    let now = state.clock.now_naive();
    let rows = outbox::claim_due(conn, now, BATCH)?;
    for row in &rows {
        if compose::to_customer(&row.kind) && outbox::is_suppressed(conn, &row.recipient)? {
            outbox::mark_suppressed(conn, row.id)?;
            continue;
        }
        let rendered = compose::context(conn, state, row)
            .and_then(|context| render::render(&state.templates, &row.kind, &context));
        let result = match rendered {
            Ok(mail) => transport.send(
                &state.config.mail_from,
                &row.recipient,
                &row.message_id,
                &mail,
            ),
            Err(e) => Err(format!("could not be composed: {e}")),
        };
        match result {
            Ok(()) => outbox::mark_sent(conn, row.id, state.clock.now_naive())?,
            Err(error) => {
                tracing::warn!(
                    outbox_id = row.id,
                    attempts = row.attempts + 1,
                    error,
                    "e-mail not sent; will retry"
                );
                outbox::mark_failed(conn, row, &error, state.clock.now_naive())?;
            }
        }
    }
    Ok(rows.len())
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

/// The background loop: polls every second while idle.
pub async fn run(state: web::Data<AppState>, transport: Arc<Transport>) {
    loop {
        match drain(state.clone(), transport.clone()).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox worker: database unavailable; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
