//! The outbox when a sender is slower than its lease.

use chrono::Duration;
use diesel::prelude::*;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::referrals::tuesday_morning;
use outreach::{db::schema::outbox, mail::outbox as mail};

backend_test!(a_sender_that_outlasted_its_lease_does_not_overwrite_the_next_senders_result);
async fn a_sender_that_outlasted_its_lease_does_not_overwrite_the_next_senders_result(
    app: TestApp,
) {
    let start = tuesday_morning().naive_utc();
    app.with_conn(|conn| {
        let alert = serde_json::json!({"kind": "test"});
        mail::enqueue(
            conn,
            mail::kind::SUPERVISOR_ALERT,
            None,
            "sup@example.test",
            &alert,
            start,
        )
        .unwrap();
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
