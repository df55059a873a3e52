//! Holds a client passes on (Breathing Space notices, disputes, deaths, "do not contact me") and
//! holds a supervisor places outside a call: contact stops at once.

use chrono::Duration;
use serde_json::{json, Value};

use crate::backend_test;
use crate::calls::post_json;
use crate::helpers::TestApp;
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

async fn send(app: &TestApp, key: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let request = match body {
        Some(body) => app.api().post(app.url(path)).json(&body),
        None => app.api().get(app.url(path)),
    };
    let response = request.bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

backend_test!(a_breathing_space_notice_from_the_client_stops_calls_at_once);
async fn a_breathing_space_notice_from_the_client_stops_calls_at_once(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Notified Water"));
    let case = refer(&app, &key, referral("BS-1")).await;
    let holds = format!("/api/v1/cases/{}/holds", case["id"]);
    // A handler is on the call when the notice arrives.
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    assert_eq!(call["case"]["id"], case["id"]);

    let (status, body) = send(
        &app,
        &key,
        &holds,
        Some(json!({"kind": "holiday", "starts_at": "soon", "note": "from\u{0}a file"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["fields"]["kind"].is_array() && body["fields"]["starts_at"].is_array(),
        "{body}"
    );
    assert!(
        body["fields"]["note"][0]
            .as_str()
            .is_some_and(|m| m.contains("control character")),
        "{body}"
    );

    // The moratorium began eight days ago; it ends 60 days after it began.
    let started = tuesday_morning() - Duration::days(8);
    let notice = json!({"kind": "breathing_space", "starts_at": started.to_rfc3339()});
    let (status, body) = send(&app, &key, &holds, Some(notice)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["case"]["status"], "on_hold");
    assert_eq!(
        body["case"]["next_contact_at"], "2026-05-01T10:00:00Z",
        "60 days on: Friday 1 May, 11:00 BST"
    );
    assert_eq!(body["holds"][0]["kind"], "breathing_space");
    assert_eq!(body["holds"][0]["ends_at"], "2026-05-01T10:00:00Z");

    let (status, _) = outcome(&app, &token, &case["id"], json!({"outcome": "no_answer"})).await;
    assert_eq!(status, 409, "the call under way lost its claim");
    let (status, _) = next_call(&app, &token).await;
    assert_eq!(status, 204);

    // Another client can neither see nor change this case's holds.
    let other = app.client_api_key(app.create_client("Someone Else"));
    assert_eq!(send(&app, &other, &holds, None).await.0, 404);
    let (status, _) = send(&app, &other, &holds, Some(json!({"kind": "dispute"}))).await;
    assert_eq!(status, 404);
    let (status, listed) = send(&app, &key, &holds, None).await;
    assert_eq!(
        (status, listed["holds"].as_array().unwrap().len()),
        (200, 1)
    );
    // The listing carries the case: the client's read of it is audited (the refused one is not).
    let case_id = case["id"].as_i64().unwrap();
    let viewed: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.eq("case_viewed").and(entity_id.eq(case_id)))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(viewed, 1);
}

backend_test!(a_client_lifts_a_do_not_contact_hold_and_a_death_closes_the_case);
async fn a_client_lifts_a_do_not_contact_hold_and_a_death_closes_the_case(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Careful Energy"));
    let case = refer(&app, &key, referral("DNC-1")).await;
    let holds = format!("/api/v1/cases/{}/holds", case["id"]);
    let (status, body) = send(&app, &key, &holds, Some(json!({"kind": "do_not_contact"}))).await;
    assert_eq!(status, 201);
    assert_eq!(body["case"]["next_contact_at"], Value::Null, "until lifted");
    let hold_id = body["holds"][0]["id"].as_i64().unwrap();
    let (status, body) = send(
        &app,
        &key,
        &format!("{holds}/{hold_id}/lift"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["case"]["status"], "queued");

    let (status, body) = send(&app, &key, &holds, Some(json!({"kind": "deceased"}))).await;
    assert_eq!(status, 201);
    assert_eq!(body["case"]["status"], "closed");
    let (_, token) = app.staff_token("handler");
    assert_eq!(next_call(&app, &token).await.0, 204);
}

backend_test!(a_supervisor_places_a_hold_from_the_case_page);
async fn a_supervisor_places_a_hold_from_the_case_page(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Supervised Co"));
    let case = refer(&app, &key, referral("SUP-1")).await;
    let page = format!("/calls/{}", case["id"]);
    let supervisor = app.login_as("supervisor", None).await;
    let (_, html) = supervisor.get_text(&page).await;
    assert!(html.contains("Place a hold"));
    // A start that is no date: the case page again, the form open and filled in as sent.
    let refused = supervisor
        .post_form(
            &format!("{page}/holds"),
            &[
                ("kind", "dispute"),
                ("starts_at", "last week"),
                ("note", "Disputes the meter reading"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"<details id="place-hold" open>"#), "{html}");
    assert!(html.contains(r#"<option value="dispute" selected>"#));
    assert!(html.contains(r#"value="Disputes the meter reading""#));
    let placed = supervisor
        .post_form(
            &format!("{page}/holds"),
            &[
                ("kind", "dispute"),
                ("starts_at", ""),
                ("note", "Disputes the meter reading"),
            ],
        )
        .await;
    assert_eq!(placed.status().as_u16(), 303);
    let stored = app
        .get_json(&format!("/api/v1/cases/{}", case["id"]), &key)
        .await;
    assert_eq!(stored["status"], "on_hold");
    let (_, html) = supervisor.get_text(&page).await;
    assert!(
        html.contains("Hold: dispute from 2026-03-10T10:00:00 UTC until lifted"),
        "times carry their zone: {html}"
    );
    let handler = app.login_as("handler", None).await;
    let refused = handler
        .post_form(
            &format!("{page}/holds"),
            &[("kind", "dispute"), ("starts_at", ""), ("note", "")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403, "supervisors only");
}

backend_test!(a_client_cannot_lift_a_safety_hold_or_reach_another_cases_hold);
async fn a_client_cannot_lift_a_safety_hold_or_reach_another_cases_hold(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Worried Water"));
    let case = refer(&app, &key, referral("RISK-1")).await;
    let (_, token) = app.staff_token("handler");
    next_call(&app, &token).await;
    let escalate = format!("/api/v1/cases/{}/escalations", case["id"]);
    let (status, _) = post_json(&app, &token, &escalate, json!({"kind": "risk_to_life"})).await;
    assert_eq!(status, 201);
    // The handler finishes the call; the case is on hold from then on.
    let (status, _) = outcome(
        &app,
        &token,
        &case["id"],
        json!({"outcome": "spoke_to_customer"}),
    )
    .await;
    assert_eq!(status, 200);
    let holds = format!("/api/v1/cases/{}/holds", case["id"]);
    let (_, listed) = send(&app, &key, &holds, None).await;
    let risk_hold = listed["holds"][0]["id"].as_i64().unwrap();
    assert_eq!(
        listed["holds"][0]["kind"], "welfare",
        "what was disclosed stays with us"
    );
    let (status, body) = send(
        &app,
        &key,
        &format!("{holds}/{risk_hold}/lift"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("only an Outreach supervisor"));
    let (_, still) = send(&app, &key, &holds, None).await;
    assert_eq!(still["case"]["status"], "on_hold");

    // Another client's hold, named through this client's own case: not found, whatever it is.
    let other_key = app.client_api_key(app.create_client("Other Co"));
    let other = refer(&app, &other_key, referral("OTHER-1")).await;
    let other_holds = format!("/api/v1/cases/{}/holds", other["id"]);
    let (status, _) = send(
        &app,
        &other_key,
        &format!("{other_holds}/{risk_hold}/lift"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 404);
}

backend_test!(a_death_reported_by_the_client_ends_the_plan_link);
async fn a_death_reported_by_the_client_ends_the_plan_link(app: TestApp) {
    let (handler, case_id, _) = crate::helpers::plans::case_with_plan(&app).await;
    let token = crate::helpers::plans::only_plan_link_token(&app);
    // The call ended with the customer declining; the plan link stays in their inbox.
    let declined = json!({"outcome": "declined"});
    crate::queue::outcome(&app, &handler, &case_id, declined).await;
    // Later the client who referred the case reports the death.
    let client: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .find(case_id.as_i64().unwrap())
            .select(client_id)
            .first(conn)
            .unwrap()
    });
    let key = app.client_api_key(client);
    let holds = format!("/api/v1/cases/{case_id}/holds");
    let (status, _) = send(&app, &key, &holds, Some(json!({"kind": "deceased"}))).await;
    assert_eq!(status, 201);
    // The plan e-mail still waiting in the outbox is not sent.
    crate::helpers::plans::drain(&app).await;
    let statuses: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox::dsl::*;
        outbox.select(status).load(conn).unwrap()
    });
    assert_eq!(statuses, ["suppressed"]);
    // A link still in an inbox neither counts the case as re-engaged nor reopens it.
    let customer = app.anonymous();
    for action in ["confirm", "change"] {
        let answer = customer
            .post_form(&format!("/p/{token}/{action}"), &[("message", "")])
            .await;
        let page = answer.text().await.unwrap();
        assert!(
            page.contains("This plan is no longer open"),
            "{action}: {page}"
        );
    }
    let (status, reason) = crate::helpers::plans::case_state(&app, &case_id);
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("closed", Some("declined"))
    );
}

backend_test!(a_client_cannot_lift_a_do_not_contact_the_customer_asked_outreach_for);
/// The customer told Outreach never to call again and a supervisor recorded it: the client who
/// referred them cannot lift that; a "do not contact" the client placed itself it can (above).
async fn a_client_cannot_lift_a_do_not_contact_the_customer_asked_outreach_for(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Eager Water"));
    let case = refer(&app, &key, referral("ASKED-1")).await;
    let supervisor = app.login_as("supervisor", None).await;
    let placed = supervisor
        .post_form(
            &format!("/calls/{}/holds", case["id"]),
            &[
                ("kind", "do_not_contact"),
                ("starts_at", ""),
                ("note", "Asked us never to call again"),
            ],
        )
        .await;
    assert_eq!(placed.status().as_u16(), 303);
    let holds = format!("/api/v1/cases/{}/holds", case["id"]);
    let (_, listed) = send(&app, &key, &holds, None).await;
    let hold = listed["holds"][0]["id"].as_i64().unwrap();
    let (status, body) = send(&app, &key, &format!("{holds}/{hold}/lift"), Some(json!({}))).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("asked Outreach"));
    let (_, still) = send(&app, &key, &holds, None).await;
    assert_eq!(still["case"]["next_contact_at"], Value::Null);
}

backend_test!(a_breathing_space_starting_tomorrow_stops_calls_today);
/// A moratorium starts the day after the creditor is told: the client passes the notice on at
/// once, with tomorrow's start. Contact stops now; the 60 days run from tomorrow.
async fn a_breathing_space_starting_tomorrow_stops_calls_today(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Prompt Water"));
    let case = refer(&app, &key, referral("BS-AHEAD")).await;
    let holds = format!("/api/v1/cases/{}/holds", case["id"]);
    let tomorrow = (tuesday_morning() + Duration::days(1)).date_naive();
    let starts = format!("{tomorrow}T00:00:00Z");
    let notice = json!({"kind": "breathing_space", "starts_at": starts});
    let (status, body) = send(&app, &key, &holds, Some(notice)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["case"]["status"], "on_hold");
    let ends = format!("{}T00:00:00Z", tomorrow + Duration::days(60));
    assert_eq!(body["holds"][0]["ends_at"], ends.as_str());
    let (_, token) = app.staff_token("handler");
    assert_eq!(next_call(&app, &token).await.0, 204, "no call today");
}

backend_test!(the_client_sees_a_welfare_hold_without_what_was_disclosed);
/// A creditor learns that contact has stopped for the customer's welfare, not that a handler
/// heard of a risk to life or a vulnerability: that is the customer's health, shared with the
/// service, not with the creditor.
async fn the_client_sees_a_welfare_hold_without_what_was_disclosed(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Discreet Water"));
    let case = refer(&app, &key, referral("W-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    assert_eq!(call["case"]["id"], case["id"]);
    let escalated = json!({"outcome": "vulnerable_escalated"});
    let (status, body) = outcome(&app, &token, &case["id"], escalated).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        &app,
        &key,
        &format!("/api/v1/cases/{}/holds", case["id"]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let kinds: Vec<&str> = body["holds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["welfare"], "{body}");
    assert!(!body.to_string().contains("vulnerab"), "{body}");
}
