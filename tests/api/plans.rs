//! Plans: proposed on a call, e-mailed, confirmed once by the customer.

use chrono::Duration;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::plans::{
    case_state, case_with_plan, drain, only_plan_link_token, plan_link, spawn_with_mail, with_smtp,
};
use crate::helpers::{app::spawn_with, Backend, TestApp};
use crate::queue::{outcome, refer};
use crate::referrals::{referral, tuesday_morning};
use outreach::mail::catcher::SmtpSink;

async fn plans_are_emailed_and_confirmed_once(backend: Backend) {
    let (app, sink) = spawn_with_mail(backend).await;
    let (token, case_id, plan) = case_with_plan(&app).await;
    assert_eq!(plan["status"], "awaiting_confirmation");
    assert_eq!(
        plan["in_words"],
        "£12.50 every week, starting Monday 16 March 2026"
    );
    assert_eq!(drain(&app).await, 1);
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["ann@example.org"]);
    assert_eq!(mail[0].from, "<outreach@example.test>");
    let raw = &mail[0].data;
    assert!(
        raw.contains("Subject: Your plan with Plan Water: please confirm"),
        "{raw}"
    );
    assert!(raw.contains("Message-ID: <"));
    let parts = outreach::mail::catcher::decoded_parts(raw);
    let text = &parts
        .iter()
        .find(|(t, _)| t == "text/plain")
        .expect("a text body")
        .1;
    let html = &parts
        .iter()
        .find(|(t, _)| t == "text/html")
        .expect("an HTML body")
        .1;
    for body in [text, html] {
        assert!(
            body.contains("£12.50 every week, starting Monday 16 March"),
            "{body}"
        );
        assert!(body.contains("We will never ask for card or bank details by e-mail."));
        assert!(body.contains("StepChange"));
        assert!(body.contains("/unsubscribe/"), "{body}");
        assert!(
            body.contains("works until Tuesday 24 March, 10:00 GMT"),
            "the link's last day, in the customer's time: {body}"
        );
    }
    assert!(html.contains("Confirm my plan"));

    let link = plan_link(text);
    assert_eq!(link, plan_link(html));
    let customer = app.anonymous();
    let (status, page) = customer.get_text(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("£12.50 every week, starting Monday 16 March"));
    let viewed: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("plan_viewed"))
            .select(audit_log::actor)
            .load(conn)
            .unwrap()
    });
    assert_eq!(viewed, ["customer"], "the customer's view is audited");
    let confirmed = customer.post_form(&format!("{link}/confirm"), &[]).await;
    assert!(confirmed
        .text()
        .await
        .unwrap()
        .contains("your plan is confirmed"));
    // Confirmed while still on the phone: the call stays the handler's, and the outcome they
    // record closes the case as re-engaged.
    assert_eq!(case_state(&app, &case_id), ("claimed".into(), None));
    let (status, _) = outcome(&app, &token, &case_id, json!({"outcome": "plan_proposed"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        case_state(&app, &case_id),
        ("closed".into(), Some("re_engaged".into()))
    );
    let again = customer.post_form(&format!("{link}/confirm"), &[]).await;
    assert!(
        again.text().await.unwrap().contains("already confirmed"),
        "works once"
    );
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(page.contains("confirmed"), "shown to supervisors");
}

backend_test!(plans_are_emailed_and_confirmed_once, given_the_backend);

async fn mail_waits_while_smtp_is_down(backend: Backend) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = spawn_with(backend, with_smtp(port)).await;
    let (_, _, plan) = case_with_plan(&app).await;
    assert_eq!(
        plan["status"], "awaiting_confirmation",
        "the plan is saved while SMTP is down"
    );
    drain(&app).await;
    let (status, attempts): (String, i32) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox::dsl::*;
        outbox.select((status, attempts)).first(conn).unwrap()
    });
    assert_eq!(
        (status.as_str(), attempts),
        ("pending", 1),
        "waiting in the outbox"
    );
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(
        page.contains("plan confirmation") && page.contains("SMTP"),
        "failures are visible"
    );

    let sink = SmtpSink::start_on(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    assert_eq!(drain(&app).await, 0, "not before the back-off");
    app.state
        .clock
        .pin(tuesday_morning() + Duration::seconds(31));
    assert_eq!(drain(&app).await, 1);
    assert_eq!(drain(&app).await, 0);
    assert_eq!(
        sink.received().len(),
        1,
        "delivered once SMTP is back, and only once"
    );
}

/// A plan e-mail that could not go before its link ran out (a long mail outage, a failed message
/// requeued late) is not sent with a dead link: it fails, saying why, for a supervisor to see.
async fn a_plan_email_whose_link_ran_out_is_not_sent(backend: Backend) {
    let (app, sink) = spawn_with_mail(backend).await;
    case_with_plan(&app).await;
    app.state
        .clock
        .pin(tuesday_morning() + Duration::days(14) + Duration::minutes(1));
    drain(&app).await;
    assert!(sink.received().is_empty(), "nothing sent");
    let (status, error): (String, Option<String>) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox::dsl::*;
        outbox.select((status, last_error)).first(conn).unwrap()
    });
    assert_ne!(status, "sent");
    assert!(
        error.as_deref().is_some_and(|e| e.contains("ran out")),
        "{error:?}"
    );
    let links: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::support_links::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(links, 0, "no support link counted as sent in it");
}

backend_test!(
    a_plan_email_whose_link_ran_out_is_not_sent,
    given_the_backend
);

backend_test!(mail_waits_while_smtp_is_down, given_the_backend);

backend_test!(expired_tampered_and_hammered_links_reveal_nothing);
async fn expired_tampered_and_hammered_links_reveal_nothing(app: TestApp) {
    let (_, _, _) = case_with_plan(&app).await;
    let token = only_plan_link_token(&app);
    let customer = app.anonymous();
    let mut tampered = token.clone();
    tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
    let (status, page) = customer.get_text(&format!("/p/{tampered}")).await;
    assert_eq!(status, 404);
    assert!(
        page.contains("This link does not work")
            && !page.contains("Ann")
            && !page.contains("12.50")
    );
    let confirm = customer
        .post_form(&format!("/p/{tampered}/confirm"), &[])
        .await;
    assert_eq!(confirm.status().as_u16(), 404);

    app.state.clock.pin(tuesday_morning() + Duration::days(15));
    let (status, page) = customer.get_text(&format!("/p/{token}")).await;
    assert_eq!(status, 410);
    assert!(page.contains("This link has expired") && !page.contains("Ann"));

    let mut limited = false;
    for _ in 0..40 {
        if customer
            .get(&format!("/p/{tampered}"))
            .await
            .status()
            .as_u16()
            == 429
        {
            limited = true;
            break;
        }
    }
    assert!(limited, "token guessing is rate-limited per address");
}

backend_test!(asking_for_a_change_queues_a_callback_and_refuses_card_numbers);
async fn asking_for_a_change_queues_a_callback_and_refuses_card_numbers(app: TestApp) {
    let (handler, case_id, _) = case_with_plan(&app).await;
    let token = only_plan_link_token(&app);
    let customer = app.anonymous();
    let card = customer
        .post_form(
            &format!("/p/{token}/change"),
            &[("message", "Take it from 4111 1111 1111 1111")],
        )
        .await;
    assert_eq!(card.status().as_u16(), 422);
    let page = card.text().await.unwrap();
    assert!(
        page.contains("id=\"message-error\""),
        "on the customer's own page: {page}"
    );
    assert!(page.contains("card number"));
    assert!(!crate::helpers::shows_test_card(&page), "never shown back");
    assert!(
        page.contains("Ask for a call back"),
        "the form is there to try again"
    );
    let long = "x".repeat(2001);
    let too_long = customer
        .post_form(&format!("/p/{token}/change"), &[("message", &long)])
        .await;
    assert_eq!(too_long.status().as_u16(), 422);
    assert!(
        too_long.text().await.unwrap().contains(&long),
        "what they wrote is kept"
    );
    let change = customer
        .post_form(
            &format!("/p/{token}/change"),
            &[("message", "Fortnightly would suit my pay better")],
        )
        .await;
    assert!(change
        .text()
        .await
        .unwrap()
        .contains("we will call you back"));
    let (band, callback): (i32, Option<chrono::NaiveDateTime>) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .find(case_id.as_i64().unwrap())
            .select((priority_band, callback_at))
            .first(conn)
            .unwrap()
    });
    assert_eq!(band, 0, "a callback comes first in the queue");
    assert!(callback.is_some());
    // Asked while still on the phone: the call stays the handler's, and is the callback.
    assert_eq!(case_state(&app, &case_id), ("claimed".into(), None));
    let spoke = json!({"outcome": "spoke_to_customer"});
    assert_eq!(outcome(&app, &handler, &case_id, spoke).await.0, 200);
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(page.contains("Fortnightly would suit my pay better"));
}

backend_test!(the_same_plan_sent_twice_is_one_plan_and_one_email);
/// A double click on "Record plan and e-mail it", a refreshed page, or a client retrying its
/// request: one plan, one e-mail, whose link stays current. Different terms are a new version.
async fn the_same_plan_sent_twice_is_one_plan_and_one_email(app: TestApp) {
    let counts = |case_id: &Value| -> (i64, i64) {
        let case_id = case_id.as_i64().unwrap();
        app.with_conn(|conn| {
            use diesel::prelude::*;
            use outreach::db::schema::{outbox, plans};
            (
                plans::table
                    .filter(plans::case_id.eq(case_id))
                    .count()
                    .get_result(conn)
                    .unwrap(),
                outbox::table
                    .filter(outbox::case_id.eq(case_id))
                    .count()
                    .get_result(conn)
                    .unwrap(),
            )
        })
    };
    // Through the API, retried.
    let (token, case_id, first) = case_with_plan(&app).await;
    let same = json!({"amount_minor": 1250, "currency": "GBP", "frequency": "weekly", "first_payment_on": "2026-03-16", "email": "ann@example.org"});
    let path = format!("/api/v1/cases/{case_id}/plans");
    let again = crate::calls::post_json(&app, &token, &path, same).await;
    assert_eq!(again.0, 200, "{}", again.1);
    assert_eq!(again.1["id"], first["id"]);
    assert_eq!(counts(&case_id), (1, 1), "one plan, one e-mail queued");
    let fortnightly = json!({"amount_minor": 2500, "currency": "GBP", "frequency": "fortnightly", "first_payment_on": "2026-03-16", "email": "ann@example.org"});
    let changed = crate::calls::post_json(&app, &token, &path, fortnightly).await;
    assert_eq!(changed.0, 201);
    assert_eq!(changed.1["version"], 2);
    assert_eq!(counts(&case_id), (2, 2));

    // On the call page, submitted twice.
    let key = app.client_api_key(app.create_client("Double Click Water"));
    let case = refer(&app, &key, referral("DC-1")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let form = [
        ("amount", "12.50"),
        ("frequency", "weekly"),
        ("first_payment_on", "2026-03-16"),
        ("email", "ann@example.org"),
    ];
    for repeat in [false, true] {
        let recorded = handler
            .post_form(&format!("{call_page}/plans"), &form)
            .await;
        assert_eq!(recorded.status().as_u16(), 200);
        let page = recorded.text().await.unwrap();
        assert_eq!(page.contains("no second one was sent"), repeat, "{page}");
    }
    assert_eq!(counts(&case["id"]), (1, 1));
}
