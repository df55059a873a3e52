//! The outbox when a sender is slower than its lease, when it has given up on a message, and
//! when its instance is told to stop.

use chrono::Duration;
use diesel::prelude::*;

use crate::backend_test;
use crate::helpers::{session::location, TestApp};
use crate::referrals::tuesday_morning;
use outreach::{db::schema::outbox, mail::outbox as mail};

/// Queues one supervisor alert due at `at`; returns its id.
fn queue_alert(conn: &mut outreach::db::DbConn, at: chrono::NaiveDateTime) -> i64 {
    let alert = serde_json::json!({"kind": "test"});
    mail::enqueue(
        conn,
        mail::kind::SUPERVISOR_ALERT,
        None,
        "sup@example.test",
        &alert,
        at,
    )
    .unwrap();
    outbox::table
        .select(outbox::id)
        .order(outbox::id.desc())
        .first(conn)
        .unwrap()
}

backend_test!(a_sender_that_outlasted_its_lease_does_not_overwrite_the_next_senders_result);
async fn a_sender_that_outlasted_its_lease_does_not_overwrite_the_next_senders_result(
    app: TestApp,
) {
    let start = tuesday_morning().naive_utc();
    app.with_conn(|conn| {
        queue_alert(conn, start);
        let slow = mail::claim_due(conn, start, 10).unwrap();
        assert_eq!(slow.len(), 1);
        // Its lease runs out while it is still sending; another sender takes the message over
        // and sends it.
        let later = start + Duration::minutes(6);
        let fast = mail::claim_due(conn, later, 10).unwrap();
        assert_eq!(fast.len(), 1, "the lapsed lease makes it due again");
        assert!(mail::mark_sent(conn, &fast[0], later).unwrap());
        // The slow sender's failure arrives last: it must not put the sent message back to retry.
        let recorded = mail::mark_failed(conn, &slow[0], "timed out", later).unwrap();
        assert!(!recorded);
        let status: String = outbox::table.select(outbox::status).first(conn).unwrap();
        assert_eq!(status, "sent");
    });
}

backend_test!(a_supervisor_sends_a_given_up_e_mail_again);
async fn a_supervisor_sends_a_given_up_e_mail_again(app: TestApp) {
    let start = tuesday_morning();
    app.state.clock.pin(start);
    let start = start.naive_utc();
    let id = app.with_conn(|conn| {
        let id = queue_alert(conn, start);
        // Every attempt fails (the mail server is down) until the outbox gives up.
        let mut at = start;
        for _ in 0..mail::MAX_ATTEMPTS {
            let claimed = mail::claim_due(conn, at, 10).unwrap();
            assert_eq!(claimed.len(), 1);
            assert!(mail::mark_failed(conn, &claimed[0], "connection refused", at).unwrap());
            at += Duration::hours(2);
        }
        assert!(
            mail::claim_due(conn, at, 10).unwrap().is_empty(),
            "given up"
        );
        id
    });
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    let retry = format!("/supervisor/mail/{id}/retry");
    assert!(page.contains(&retry) && page.contains("connection refused"));
    let sent_again = supervisor.post_form(&retry, &[]).await;
    assert_eq!(location(&sent_again), "/supervisor");
    app.with_conn(|conn| {
        let due = mail::claim_due(conn, start, 10).unwrap();
        assert_eq!(due.len(), 1, "due again at once");
        assert_eq!(due[0].attempts, 0, "with a fresh set of attempts");
    });
    // Only a message that was given up on: this one is being sent again already.
    let twice = supervisor.post_form(&retry, &[]).await;
    assert_eq!(twice.status().as_u16(), 404);
    let handler = app.login_as("handler", None).await;
    assert_eq!(handler.post_form(&retry, &[]).await.status().as_u16(), 403);
}

backend_test!(a_message_that_stops_its_sender_every_time_is_given_up_on);
/// A sender that crashes or hangs on a message never reports; its lease runs out and another
/// takes it. Each lapsed lease counts as an attempt, so the outbox gives up on it as on one that
/// fails, instead of trying it every few minutes for ever.
async fn a_message_that_stops_its_sender_every_time_is_given_up_on(app: TestApp) {
    let start = tuesday_morning().naive_utc();
    app.with_conn(|conn| {
        queue_alert(conn, start);
        let mut at = start;
        for _ in 0..mail::MAX_ATTEMPTS {
            assert_eq!(mail::claim_due(conn, at, 10).unwrap().len(), 1);
            at += Duration::minutes(mail::SENDING_LEASE_MINUTES + 1);
        }
        assert!(mail::claim_due(conn, at, 10).unwrap().is_empty());
        let (status, attempts, error): (String, i32, Option<String>) = outbox::table
            .select((outbox::status, outbox::attempts, outbox::last_error))
            .first(conn)
            .unwrap();
        assert_eq!((status.as_str(), attempts), ("failed", mail::MAX_ATTEMPTS));
        assert!(error.unwrap().contains("stopped while sending"));

        // Only what a sender takes is counted: a lapsed message left for the next batch (the
        // batch was full) has not been tried again, and keeps its count.
        let first = queue_alert(conn, at);
        let second = queue_alert(conn, at);
        assert_eq!(mail::claim_due(conn, at, 10).unwrap().len(), 2);
        at += Duration::minutes(mail::SENDING_LEASE_MINUTES + 1);
        let taken = mail::claim_due(conn, at, 1).unwrap();
        assert_eq!(taken.iter().map(|r| r.id).collect::<Vec<_>>(), [first]);
        let attempts_of = |conn: &mut outreach::db::DbConn, id: i64| -> i32 {
            outbox::table
                .find(id)
                .select(outbox::attempts)
                .first(conn)
                .unwrap()
        };
        assert_eq!(
            (attempts_of(conn, first), attempts_of(conn, second)),
            (1, 0)
        );
    });
}

backend_test!(a_message_withdrawn_while_it_was_being_sent_is_recorded_as_sent);
/// The customer's "stop e-mails" (or an erasure) lands while the relay is taking the message:
/// it went, and the record says so rather than "never sent".
async fn a_message_withdrawn_while_it_was_being_sent_is_recorded_as_sent(app: TestApp) {
    let start = tuesday_morning().naive_utc();
    app.with_conn(|conn| {
        queue_alert(conn, start);
        let sending = mail::claim_due(conn, start, 10).unwrap();
        diesel::update(outbox::table)
            .set(outbox::status.eq("suppressed"))
            .execute(conn)
            .unwrap();
        assert!(mail::mark_sent(conn, &sending[0], start).unwrap());
        let (status, sent_at): (String, Option<chrono::NaiveDateTime>) = outbox::table
            .select((outbox::status, outbox::sent_at))
            .first(conn)
            .unwrap();
        assert_eq!((status.as_str(), sent_at), ("sent", Some(start)));
    });
}

backend_test!(a_message_that_cannot_be_composed_says_so_without_the_template_engines_internals);
// A fault of ours (here a kind whose templates an upgrade removed) goes to the log; the
// supervisor sees that the message failed, not a dump of the template engine's state.
async fn a_message_that_cannot_be_composed_says_so_without_the_template_engines_internals(
    app: TestApp,
) {
    let start = tuesday_morning();
    app.state.clock.pin(start);
    app.with_conn(|conn| {
        let alert = serde_json::json!({"kind": "test"});
        mail::enqueue(
            conn,
            "retired_kind",
            None,
            "sup@example.test",
            &alert,
            start.naive_utc(),
        )
        .unwrap();
    });
    crate::helpers::plans::drain(&app).await;
    let error: Option<String> = app.with_conn(|conn| {
        outbox::table
            .select(outbox::last_error)
            .first(conn)
            .unwrap()
    });
    let error = error.expect("the failure is recorded");
    assert!(error.starts_with("could not be composed"), "{error}");
    assert!(
        !error.contains("retired_kind/"),
        "no template paths: {error}"
    );
    assert!(!error.contains('{'), "no debug dump: {error}");
}

async fn a_stopping_instance_sends_nothing_more_and_hands_the_rest_back(
    backend: crate::helpers::Backend,
) {
    // The instance is told to stop while the relay takes the first message.
    let (app, sink) =
        crate::helpers::plans::seventeen_plans_behind_a_slow_relay(backend, |received, state| {
            if received.to == ["c00@example.org"] {
                state
                    .stopping
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .await;
    crate::helpers::plans::drain(&app).await;
    let sent = sink.received().len();
    assert!((1..17).contains(&sent), "{sent} sent");
    let rows: Vec<(String, String, i32)> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox;
        outbox::table
            .order(outbox::id)
            .select((outbox::recipient, outbox::status, outbox::attempts))
            .load(conn)
            .unwrap()
    });
    let handed_back: Vec<_> = rows
        .iter()
        .filter(|(_, status, _)| status == "pending")
        .collect();
    assert_eq!(handed_back.len(), 17 - sent, "{rows:?}");
    assert!(
        handed_back.iter().all(|(_, _, attempts)| *attempts == 0),
        "{rows:?}"
    );
    assert!(handed_back.iter().any(|(to, _, _)| to == "c01@example.org"));
}
backend_test!(
    a_stopping_instance_sends_nothing_more_and_hands_the_rest_back,
    given_the_backend
);
