//! The sender: takes due messages from the outbox, renders and sends them, and records the
//! result. Runs in every instance that has workers switched on.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::web;

use super::{compose, outbox, render, transport::Transport};
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
                outbox::mark_suppressed(conn, row.id)?;
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
    first_error: Option<AppError>,
}

impl<'a> Dispatch<'a> for Batch<'_> {
    /// Asked again just before each send, as a send may start well after its batch was composed
    /// (a slow relay): "stop e-mails", a hold or an erasure since then stops it.
    fn may_send(&mut self, (row, _): &'a Prepared<'a>) -> Verdict {
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

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sent {
    Yes,
    Failed(String),
    /// Not tried: its batch ran out of time, or whether it still may go could not be told.
    NotTried,
    /// Not sent: withdrawn since it was composed (see [`Dispatch::may_send`]).
    Withheld,
}

/// Whether a composed message may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Send,
    Withhold,
    /// Not now: it goes back untried.
    Later,
}

/// What the sending threads ask of the thread holding the batch's database connection.
trait Dispatch<'a> {
    fn may_send(&mut self, message: &'a Prepared<'a>) -> Verdict;
    fn done(&mut self, message: &'a Prepared<'a>, sent: Sent);
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
    match row.case_id {
        Some(case_id) => crate::cases::holds::any_active(conn, case_id, now),
        None => Ok(false),
    }
}

type Prepared<'a> = (&'a outbox::OutboxRow, Result<render::Rendered, String>);

/// No send starts later than this after its batch was claimed, so that even the longest send
/// ends a minute before the batch's lease runs out and another sender could take the message
/// over and send it a second time. What was not started goes back, untried.
const LAST_SEND_START: Duration = Duration::from_secs(
    outbox::SENDING_LEASE_MINUTES as u64 * 60 - super::transport::LONGEST_SEND.as_secs() - 60,
);

// Sending has at least a minute of each lease (the subtraction above fails to compile if the
// longest send and the margin do not fit in a lease at all).
const _: () = assert!(LAST_SEND_START.as_secs() >= 60);

/// What a sending thread tells the calling thread.
enum Event {
    /// Message `index` is next: may it go?
    MaySend(usize, std::sync::mpsc::Sender<Verdict>),
    Done(usize, Sent),
}

/// Sends prepared messages over up to `PARALLEL_SENDS` connections, starting none after
/// `last_start`. Just before each send it asks `dispatch` whether the message may still go,
/// and hands it each result as it comes; both on the calling thread.
fn send_all<'a>(
    prepared: &'a [Prepared<'a>],
    from: &str,
    transport: &Transport,
    last_start: Instant,
    dispatch: &mut impl Dispatch<'a>,
) {
    let chunk = prepared.len().div_ceil(PARALLEL_SENDS).max(1);
    let (events, received) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for (part_index, part) in prepared.chunks(chunk).enumerate() {
            let events = events.clone();
            scope.spawn(move || {
                for (i, (row, rendered)) in part.iter().enumerate() {
                    let index = part_index * chunk + i;
                    let may_send = || {
                        let (reply, verdict) = std::sync::mpsc::channel();
                        // The receiver lives until every sender has finished.
                        let _ = events.send(Event::MaySend(index, reply));
                        verdict.recv().unwrap_or(Verdict::Later)
                    };
                    let sent = match rendered {
                        Ok(_) if Instant::now() > last_start => Sent::NotTried,
                        Ok(mail) => match may_send() {
                            Verdict::Send => {
                                match transport.send(from, &row.recipient, &row.message_id, mail) {
                                    Ok(()) => Sent::Yes,
                                    Err(e) => Sent::Failed(e),
                                }
                            }
                            Verdict::Withhold => Sent::Withheld,
                            Verdict::Later => Sent::NotTried,
                        },
                        Err(e) => Sent::Failed(e.clone()),
                    };
                    let _ = events.send(Event::Done(index, sent));
                }
            });
        }
        drop(events);
        let mut reported = vec![false; prepared.len()];
        for event in received {
            match event {
                Event::MaySend(index, reply) => {
                    let _ = reply.send(dispatch.may_send(&prepared[index]));
                }
                Event::Done(index, sent) => {
                    reported[index] = true;
                    dispatch.done(&prepared[index], sent);
                }
            }
        }
        // A sender that panicked reported nothing more: its messages failed.
        for (index, _) in reported.iter().enumerate().filter(|(_, r)| !**r) {
            dispatch.done(
                &prepared[index],
                Sent::Failed("the sender stopped unexpectedly".into()),
            );
        }
    });
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
            one_click_unsubscribe: None,
        };
        let rows = [row(1), row(2)];
        let prepared: Vec<Prepared<'_>> = rows.iter().map(|r| (r, Ok(mail.clone()))).collect();
        let from = "outreach@example.test";
        let written = || std::fs::read_dir(dir.path()).unwrap().count();
        let send = |last_start, verdicts: [Verdict; 2]| {
            let mut recorded = Recorded {
                verdicts,
                results: Vec::new(),
            };
            send_all(&prepared, from, &transport, last_start, &mut recorded);
            recorded.results.sort_by_key(|(id, _)| *id);
            recorded.results
        };
        let go = [Verdict::Send, Verdict::Send];

        let late = send(Instant::now(), go);
        assert_eq!(late, [(1, Sent::NotTried), (2, Sent::NotTried)]);
        assert_eq!(written(), 0, "nothing went out");

        let in_time = send(Instant::now() + Duration::from_secs(60), go);
        assert_eq!(in_time, [(1, Sent::Yes), (2, Sent::Yes)]);
        assert_eq!(written(), 2);

        let asked = send(
            Instant::now() + Duration::from_secs(60),
            [Verdict::Withhold, Verdict::Later],
        );
        assert_eq!(asked, [(1, Sent::Withheld), (2, Sent::NotTried)]);
        assert_eq!(written(), 2, "neither went out");
    }

    /// Answers each message's "may it go?" as told, and keeps the results.
    struct Recorded {
        verdicts: [Verdict; 2],
        results: Vec<(i64, Sent)>,
    }

    impl<'a> Dispatch<'a> for Recorded {
        fn may_send(&mut self, (row, _): &'a Prepared<'a>) -> Verdict {
            self.verdicts[usize::try_from(row.id - 1).unwrap()]
        }

        fn done(&mut self, (row, _): &'a Prepared<'a>, sent: Sent) {
            self.results.push((row.id, sent));
        }
    }
}
