//! Sending a composed batch: its messages go over several SMTP connections at once, and just
//! before each one goes the thread holding the batch's database connection is asked whether it
//! still may (see [`Dispatch`]).

use std::time::Instant;

use super::{outbox, render, transport::Transport, worker::PARALLEL_SENDS};

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Sent {
    Yes,
    Failed(String),
    /// Not tried: its batch ran out of time, or whether it still may go could not be told.
    NotTried,
    /// Not sent: withdrawn since it was composed (see [`Dispatch::may_send`]).
    Withheld,
}

/// Whether a composed message may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Send,
    Withhold,
    /// Not now: it goes back untried.
    Later,
}

/// What the sending threads ask of the thread holding the batch's database connection.
pub(super) trait Dispatch<'a> {
    fn may_send(&mut self, message: &'a Prepared<'a>) -> Verdict;
    fn done(&mut self, message: &'a Prepared<'a>, sent: Sent);
}

pub(super) type Prepared<'a> = (&'a outbox::OutboxRow, Result<render::Rendered, String>);

/// What a sending thread tells the calling thread.
enum Event {
    /// Message `index` is next: may it go?
    MaySend(usize, std::sync::mpsc::Sender<Verdict>),
    Done(usize, Sent),
}

/// Sends prepared messages over up to `PARALLEL_SENDS` connections, starting none after
/// `last_start`. Just before each send it asks `dispatch` whether the message may still go,
/// and hands it each result as it comes; both on the calling thread.
pub(super) fn send_all<'a>(
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
                            // The answer may have waited behind other senders' questions.
                            Verdict::Send if Instant::now() > last_start => Sent::NotTried,
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
