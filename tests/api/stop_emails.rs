//! "Stop e-mails": the link in every message and the mail program's own button (RFC 8058
//! one-click), honoured at once, for every address the case holds.

use serde_json::json;

use crate::backend_test;
use crate::helpers::plans::{
    case_with_plan, customer_stops_emails, drain, propose_plan,
    seventeen_plans_behind_a_slow_relay, spawn_with_mail, stop_emails_path,
};
use crate::helpers::{Backend, TestApp};
use crate::queue::{next_call, refer};
use crate::referrals::{referral, tuesday_morning};

async fn a_mail_programs_unsubscribe_button_stops_emails(backend: Backend) {
    let (app, sink) = spawn_with_mail(backend).await;
    let (token, case_id, _) = case_with_plan(&app).await;
    assert_eq!(drain(&app).await, 1);
    let raw = sink.received()[0].data.clone();
    let header = |name: &str| {
        raw.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} header in {raw}"))
            .to_string()
    };
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let one_click = header("List-Unsubscribe");
    let one_click = one_click
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .expect("a URL in angle brackets");
    assert!(
        one_click.starts_with(&app.url("/unsubscribe/")) && one_click.ends_with("/one-click"),
        "{one_click}"
    );
    // As a mail program posts it: no cookie, no form token.
    let press = |body: &'static str| {
        app.api()
            .post(one_click)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(press("").await.unwrap().status().as_u16(), 400);
    // The message's own id with a token made up: not theirs to stop.
    let (head, _) = one_click.rsplit_once("/one-click").unwrap();
    let (head, _token) = head.rsplit_once('/').unwrap();
    let forged = format!("{head}/{}/one-click", "A".repeat(43));
    let forged = app
        .api()
        .post(&forged)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 404);
    let pressed = press("List-Unsubscribe=One-Click").await.unwrap();
    assert_eq!(pressed.status().as_u16(), 200);
    let again = propose_plan(&app, &token, &case_id, &another_plan()).await;
    assert_eq!(again.status().as_u16(), 201);
    drain(&app).await;
    assert_eq!(sink.received().len(), 1, "nothing more was sent");
}

backend_test!(
    a_mail_programs_unsubscribe_button_stops_emails,
    given_the_backend
);

/// The customer stopped e-mails, then records a plan on a later call: the handler is told it
/// was not e-mailed (it used to say "e-mailed to …" while the sender quietly withheld it), and
/// can send it when the customer asks for e-mails again on the call.
async fn a_plan_for_an_address_that_stopped_emails_says_so(backend: Backend) {
    let (app, sink) = spawn_with_mail(backend).await;
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Stopped Water"));
    let case = crate::queue::refer(&app, &key, crate::referrals::referral("ST-1")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let form = [
        ("amount", "12.50"),
        ("frequency", "weekly"),
        ("first_payment_on", "2026-03-16"),
        ("email", "ann@example.org"),
    ];
    let first = handler
        .post_form(&format!("{call_page}/plans"), &form)
        .await;
    assert!(first
        .text()
        .await
        .unwrap()
        .contains("e-mailed to ann@example.org"));
    assert_eq!(drain(&app).await, 1);
    customer_stops_emails(&app).await;

    let changed = [("amount", "10.00"), form[1], form[2], form[3]];
    let recorded = handler
        .post_form(&format!("{call_page}/plans"), &changed)
        .await;
    assert_eq!(recorded.status().as_u16(), 200);
    let page = recorded.text().await.unwrap();
    assert!(page.contains("not e-mailed"), "{page}");
    assert!(!page.contains("e-mailed to ann@example.org"), "{page}");
    let resume = page
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|action| action.ends_with("/resume-emails"))
        .expect("a way to send it once the customer asks")
        .to_string();
    drain(&app).await;
    assert_eq!(sink.received().len(), 1, "withheld while stopped");

    let resumed = handler.post_form(&resume, &[]).await;
    assert_eq!(resumed.status().as_u16(), 200);
    let page = resumed.text().await.unwrap();
    assert!(page.contains("e-mailed to ann@example.org"), "{page}");
    drain(&app).await;
    let mail = sink.received();
    assert_eq!(mail.len(), 2, "sent once the customer asked again");
    assert!(outreach::mail::catcher::decoded_parts(&mail[1].data)
        .iter()
        .any(|(_, body)| body.contains("£10.00 every week")));
    let case_id = case["id"].as_i64().unwrap();
    assert_eq!(app.audit_count("emails_resumed", case_id), 1);
}

backend_test!(
    a_plan_for_an_address_that_stopped_emails_says_so,
    given_the_backend
);

backend_test!(stopping_emails_takes_effect_at_once);
async fn stopping_emails_takes_effect_at_once(app: TestApp) {
    let (token, case_id, _) = case_with_plan(&app).await;
    // No SMTP in this app: development writes .eml files, which is enough to get the link.
    drain(&app).await;
    let stop = stop_emails_path(&app, &app.state.config.session_key);
    let customer = app.anonymous();
    let forged = format!("{}/forged", stop.rsplit_once('/').unwrap().0);
    let bad = customer.post_form(&forged, &[]).await;
    assert_eq!(bad.status().as_u16(), 404);
    let done = customer.post_form(&stop, &[]).await;
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("You will not get more e-mails"));
    let again = propose_plan(&app, &token, &case_id, &another_plan()).await;
    assert_eq!(again.status().as_u16(), 201);
    drain(&app).await;
    let statuses: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox::dsl::*;
        outbox.order(id.asc()).select(status).load(conn).unwrap()
    });
    assert_eq!(statuses, ["sent", "suppressed"]);
}

backend_test!(stopping_emails_stops_them_at_every_address_the_case_holds);
/// The plan e-mail went to an address the customer gave on the call; the referral carried
/// another. "Stop e-mails" is the customer's word: neither address gets more.
async fn stopping_emails_stops_them_at_every_address_the_case_holds(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Two Address Water"));
    let mut body = referral("TWO-ADDR");
    body["email"] = json!("ann.work@example.org");
    refer(&app, &key, body).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    let case_id = call["case"]["id"].clone();
    let plan = json!({"amount_minor": 1250, "currency": "GBP", "frequency": "weekly", "first_payment_on": "2026-03-16", "email": "ann.home@example.org"});
    let path = format!("/api/v1/cases/{case_id}/plans");
    assert_eq!(
        crate::calls::post_json(&app, &token, &path, plan).await.0,
        201
    );
    drain(&app).await;
    customer_stops_emails(&app).await;
    let stopped = app.with_conn(|conn| {
        [
            "ann.home@example.org",
            "Ann.Work@example.org",
            "ann@example.org",
        ]
        .map(|address| outreach::mail::outbox::is_suppressed(conn, address).unwrap())
    });
    assert_eq!(stopped, [true, true, false]);
}

backend_test!(a_stop_outlives_erasure_and_the_list_keeps_no_address);
/// The stop has to outlast the customer's erasure, or the next referral of them is e-mailed;
/// but erasure removes their address, so the list of stopped addresses holds none.
async fn a_stop_outlives_erasure_and_the_list_keeps_no_address(app: TestApp) {
    let (_, case_id, _) = case_with_plan(&app).await;
    drain(&app).await;
    customer_stops_emails(&app).await;
    let (stopped, kept) = app.with_conn(|conn| {
        use diesel::prelude::*;
        let case = outreach::cases::store::find(conn, case_id.as_i64().unwrap()).unwrap();
        let (actor, why) = (
            outreach::audit::Actor::System,
            outreach::cases::privacy::Erasure::Request,
        );
        let now = tuesday_morning().naive_utc();
        assert!(outreach::cases::privacy::erase(conn, actor, &case, why, now).unwrap());
        let kept: Vec<String> = outreach::db::schema::email_suppressions::table
            .select(outreach::db::schema::email_suppressions::address_sha256)
            .load(conn)
            .unwrap();
        (
            outreach::mail::outbox::is_suppressed(conn, "ANN@example.org").unwrap(),
            kept,
        )
    });
    assert!(
        stopped,
        "e-mail to the erased customer's address stays stopped"
    );
    assert_eq!(kept.len(), 1);
    assert!(
        !kept[0].contains('@') && !kept[0].contains("ann"),
        "{kept:?}"
    );
    // Pressed again from the old e-mail, the link says what is true now: no address is held.
    let stop = stop_emails_path(&app, &app.state.config.session_key);
    let again = app.anonymous().post_form(&stop, &[]).await;
    assert_eq!(again.status().as_u16(), 200);
    let page = again.text().await.unwrap();
    assert!(page.contains("id=\"nothing-held\""), "{page}");
    assert!(!page.contains("stopped e-mails to this address"));
}

/// A second plan for the case of [`case_with_plan`], to the same address.
fn another_plan() -> serde_json::Value {
    json!({"amount_minor": 1000, "currency": "GBP", "frequency": "monthly", "first_payment_on": "2026-03-20", "email": "ann@example.org"})
}

async fn a_stop_while_its_batch_is_being_sent_withholds_what_has_not_gone(backend: Backend) {
    // The relay holds the first customer's message while the second customer stops e-mails,
    // and takes longer than the checks made when the batch was composed stand for.
    let (app, sink) = seventeen_plans_behind_a_slow_relay(backend, |received, state| {
        if received.to == ["c00@example.org"] {
            let mut conn = state.pool.get().unwrap();
            let now = state.clock.now_naive();
            outreach::mail::outbox::suppress(&mut conn, "c01@example.org", now).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2500));
        }
    })
    .await;
    drain(&app).await;
    let sent_to: Vec<String> = sink.received().into_iter().flat_map(|m| m.to).collect();
    assert_eq!(sent_to.len(), 16, "{sent_to:?}");
    assert!(!sent_to.contains(&"c01@example.org".to_string()));
    let withheld: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox;
        outbox::table
            .filter(outbox::recipient.eq("c01@example.org"))
            .select(outbox::status)
            .load(conn)
            .unwrap()
    });
    assert_eq!(withheld, ["suppressed"]);
}
backend_test!(
    a_stop_while_its_batch_is_being_sent_withholds_what_has_not_gone,
    given_the_backend
);
