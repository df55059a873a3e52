use chrono::Duration;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::TestApp;
use crate::referrals::{referral, tuesday_morning};

pub async fn refer(app: &TestApp, key: &str, body: Value) -> Value {
    let response = app
        .api()
        .post(app.url("/api/v1/referrals"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "referral accepted");
    response.json().await.unwrap()
}

pub async fn next_call(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .api()
        .post(app.url("/api/v1/calls/next"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = if status == 204 {
        Value::Null
    } else {
        response.json().await.unwrap()
    };
    (status, body)
}

pub async fn outcome(app: &TestApp, token: &str, case_id: &Value, body: Value) -> (u16, Value) {
    let response = app
        .api()
        .post(app.url(&format!("/api/v1/cases/{case_id}/outcomes")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

backend_test!(two_handlers_never_get_the_same_case);
async fn two_handlers_never_get_the_same_case(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Queue Co"));
    refer(&app, &key, referral("Q-1")).await;
    refer(&app, &key, referral("Q-2")).await;
    let (_, a) = app.staff_token("handler");
    let (_, b) = app.staff_token("handler");
    let (_, c) = app.staff_token("handler");
    let (status_a, first) = next_call(&app, &a).await;
    let (status_b, second) = next_call(&app, &b).await;
    assert_eq!((status_a, status_b), (200, 200));
    assert_ne!(first["case"]["id"], second["case"]["id"]);
    let (_, again) = next_call(&app, &a).await;
    assert_eq!(
        again["case"]["id"], first["case"]["id"],
        "asking again returns (and renews) your call"
    );
    let (status_c, _) = next_call(&app, &c).await;
    assert_eq!(status_c, 204, "nothing else is due");
}

backend_test!(the_queue_serves_the_longest_in_arrears_first);
async fn the_queue_serves_the_longest_in_arrears_first(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Order Co"));
    for (reference, days) in [("SHORT", 10), ("LONG", 300), ("MID", 90)] {
        let mut body = referral(reference);
        body["days_in_arrears"] = json!(days);
        refer(&app, &key, body).await;
    }
    let mut order = Vec::new();
    for _ in 0..3 {
        let (_, token) = app.staff_token("handler");
        let (_, call) = next_call(&app, &token).await;
        order.push(call["case"]["reference"].as_str().unwrap().to_string());
    }
    assert_eq!(order, ["LONG", "MID", "SHORT"]);
}

backend_test!(no_answer_waits_four_hours_and_a_callback_comes_first_at_its_time);
async fn no_answer_waits_four_hours_and_a_callback_comes_first_at_its_time(app: TestApp) {
    let start = tuesday_morning();
    app.state.clock.pin(start);
    let key = app.client_api_key(app.create_client("Callback Co"));
    let mut older = referral("OLDER");
    older["days_in_arrears"] = json!(400);
    refer(&app, &key, older).await;
    refer(&app, &key, referral("CB")).await;
    let (_, token) = app.staff_token("handler");

    let (_, first) = next_call(&app, &token).await;
    assert_eq!(first["case"]["reference"], "OLDER");
    let (status, case) = outcome(
        &app,
        &token,
        &first["case"]["id"],
        json!({"outcome": "no_answer"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(case["status"], "scheduled");
    assert_eq!(
        case["next_contact_at"], "2026-03-10T14:00:00Z",
        "four hours later"
    );

    let (_, second) = next_call(&app, &token).await;
    assert_eq!(second["case"]["reference"], "CB");
    // The customer asks to be called back at 18:30 their time tomorrow.
    let (status, case) = outcome(
        &app,
        &token,
        &second["case"]["id"],
        json!({"outcome": "callback_requested", "callback_at": "2026-03-11T18:30", "notes": "Call after work"}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["next_contact_at"], "2026-03-11T18:30:00Z");
    let (status, _) = next_call(&app, &token).await;
    assert_eq!(
        status, 204,
        "the callback case left the queue until its time"
    );

    // Tomorrow at 18:30 both are due; the callback comes first despite shorter arrears.
    app.state
        .clock
        .pin(start + Duration::hours(32) + Duration::minutes(30));
    let (_, due) = next_call(&app, &token).await;
    assert_eq!(due["case"]["reference"], "CB");
}

backend_test!(holds_outcomes_and_breaks_change_the_case_as_promised);
async fn holds_outcomes_and_breaks_change_the_case_as_promised(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Outcome Co"));
    for reference in ["BS", "DECLINE", "ABUSE", "PAUSE"] {
        refer(&app, &key, referral(reference)).await;
    }
    let (_, token) = app.staff_token("handler");
    let mut by_reference = std::collections::HashMap::new();
    for _ in 0..4 {
        let (_, call) = next_call(&app, &token).await;
        let reference = call["case"]["reference"].as_str().unwrap().to_string();
        let id = call["case"]["id"].clone();
        let body = match reference.as_str() {
            "BS" => {
                // A start far out (which would also overflow the date) is named, not a 500.
                for far in ["+262142-12-31", "2026-06-01", "2024-01-01"] {
                    let bad = json!({"outcome": "breathing_space", "hold": {"kind": "standard", "starts_on": far}});
                    let (status, body) = outcome(&app, &token, &id, bad).await;
                    assert_eq!(status, 422, "{far}: {body}");
                    assert!(body["fields"]["hold.starts_on"].is_array(), "{far}: {body}");
                }
                json!({"outcome": "breathing_space", "hold": {"kind": "standard", "starts_on": "2026-03-10"}})
            }
            "DECLINE" => json!({"outcome": "declined"}),
            "PAUSE" => json!({"outcome": "needs_time", "pause_days": 14}),
            _ => json!({"outcome": "abusive_call_ended"}),
        };
        let (status, case) = outcome(&app, &token, &id, body).await;
        assert_eq!(status, 200, "{reference}: {case}");
        by_reference.insert(reference.clone(), case);
        if reference == "ABUSE" {
            let (status, body) = next_call(&app, &token).await;
            assert_eq!(status, 409, "on a break after an abusive call");
            assert!(body["message"].as_str().unwrap().contains("break"));
            app.state
                .clock
                .pin(tuesday_morning() + Duration::minutes(11));
        }
    }
    let bs = &by_reference["BS"];
    assert_eq!(bs["status"], "on_hold");
    assert_eq!(
        bs["next_contact_at"], "2026-05-09T07:00:00Z",
        "after 60 days, 08:00 BST: {bs}"
    );
    assert_eq!(by_reference["DECLINE"]["status"], "closed");
    assert_eq!(by_reference["DECLINE"]["closed_reason"], "declined");
    assert_eq!(by_reference["PAUSE"]["status"], "on_hold");
    assert!(by_reference["PAUSE"]["next_contact_at"].as_str().unwrap() >= "2026-03-24");
    let actions: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.eq("outcome_recorded"))
            .select(detail)
            .load(conn)
            .unwrap()
    });
    assert_eq!(actions.len(), 4, "every outcome is audited: {actions:?}");
}

backend_test!(outcomes_need_your_own_claim_and_valid_details);
async fn outcomes_need_your_own_claim_and_valid_details(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Guarded"));
    refer(&app, &key, referral("G-1")).await;
    let (_, mine) = app.staff_token("handler");
    let (_, other) = app.staff_token("handler");
    let (_, call) = next_call(&app, &mine).await;
    let id = call["case"]["id"].clone();
    let (status, _) = outcome(&app, &other, &id, json!({"outcome": "declined"})).await;
    assert_eq!(status, 409, "not your call");
    let (status, body) = outcome(
        &app,
        &mine,
        &id,
        json!({"outcome": "callback_requested", "callback_at": "2026-03-09T10:00"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["callback_at"][0]
        .as_str()
        .unwrap()
        .contains("future"));
    let (status, body) = outcome(
        &app,
        &mine,
        &id,
        json!({"outcome": "spoke_to_customer", "notes": "sort code 20-00-00 account 12345678"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("never take payments"));
    let (status, body) = outcome(&app, &mine, &id, json!({"outcome": "paid_in_full"})).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["outcome"][0]
        .as_str()
        .unwrap()
        .contains("no_answer"));
    let (status, _) = outcome(
        &app,
        &mine,
        &id,
        json!({"outcome": "spoke_to_customer", "notes": "Listened; sent advice links"}),
    )
    .await;
    assert_eq!(status, 200);
}

backend_test!(when_attempts_run_out_the_case_closes_and_one_email_is_queued);
async fn when_attempts_run_out_the_case_closes_and_one_email_is_queued(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Capped Co"));
    let put = app
        .api()
        .put(app.url("/api/v1/contact-policy"))
        .bearer_auth(&key)
        .json(&json!({"max_total_attempts": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);
    refer(&app, &key, referral("CAP-1")).await;
    let (_, token) = app.staff_token("handler");
    for hours in [0, 4] {
        app.state
            .clock
            .pin(tuesday_morning() + Duration::hours(hours));
        let (status, call) = next_call(&app, &token).await;
        assert_eq!(status, 200);
        let (_, case) = outcome(
            &app,
            &token,
            &call["case"]["id"],
            json!({"outcome": "voicemail"}),
        )
        .await;
        if hours == 4 {
            assert_eq!(case["status"], "closed");
            assert_eq!(case["closed_reason"], "unable_to_contact");
        }
    }
    let queued: Vec<(String, String)> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox::dsl::*;
        outbox.select((kind, recipient)).load(conn).unwrap()
    });
    assert_eq!(
        queued,
        [(
            "unable_to_contact".to_string(),
            "ann@example.org".to_string()
        )],
        "exactly one e-mail"
    );
    let transport = std::sync::Arc::new(
        outreach::mail::transport::Transport::from_config(&app.state.config).unwrap(),
    );
    assert_eq!(
        outreach::mail::worker::drain(app.state.clone(), transport)
            .await
            .unwrap(),
        1,
        "it renders and sends"
    );
}

backend_test!(a_handlers_calls_need_a_live_handler_token);
async fn a_handlers_calls_need_a_live_handler_token(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Token Co"));
    let case = refer(&app, &key, referral("T-1")).await;
    let no_answer = json!({"outcome": "no_answer"});

    let (status, body) = next_call(&app, "ot_not-a-token-anyone-was-given").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = outcome(&app, "ot_not-a-token", &case["id"], no_answer.clone()).await;
    assert_eq!(status, 401);
    let (status, _) = next_call(&app, &key).await;
    assert_eq!(status, 403, "a client's key is not a handler's token");
    let (status, _) = outcome(&app, &key, &case["id"], no_answer.clone()).await;
    assert_eq!(status, 403);
    let (user_id, revoked) = app.staff_token("handler");
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::api_credentials as c;
        let credential: i64 = c::table
            .filter(c::user_id.eq(Some(user_id)))
            .select(c::id)
            .first(conn)
            .unwrap();
        outreach::accounts::revoke_credential(conn, outreach::audit::Actor::System, credential)
            .unwrap();
    });
    let (status, _) = next_call(&app, &revoked).await;
    assert_eq!(status, 401, "a revoked token is refused");

    // None of them claimed the case or recorded anything on it.
    let case_id = case["id"].as_i64().unwrap();
    assert_eq!(app.audit_count("case_claimed", case_id), 0);
    let (_, handler) = app.staff_token("handler");
    let (status, call) = next_call(&app, &handler).await;
    assert_eq!((status, &call["case"]["id"]), (200, &case["id"]));
    let (status, recorded) = outcome(&app, &handler, &case["id"], no_answer).await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(recorded["status"], "scheduled", "{recorded}");
    assert_eq!(app.audit_count("case_claimed", case_id), 1);
}

backend_test!(a_handlers_calls_today_start_at_uk_midnight);
// The team works UK days, as the supervisor's figures count them: at half past midnight in
// summer, yesterday evening's calls are not "today".
async fn a_handlers_calls_today_start_at_uk_midnight(app: TestApp) {
    // 18:30 in New York on a Tuesday in June; 23:30 in London.
    let evening = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 6, 9, 22, 30, 0).unwrap();
    app.state.clock.pin(evening);
    let key = app.client_api_key(app.create_client("Evening Co"));
    let mut abroad = referral("NY-1");
    abroad["timezone"] = json!("America/New_York");
    let case = refer(&app, &key, abroad).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let recorded = handler
        .post_form(&format!("{call_page}/outcome"), &[("outcome", "no_answer")])
        .await;
    assert_eq!(recorded.status().as_u16(), 303);
    let (_, queue) = handler.get_text("/queue").await;
    assert!(!queue.contains("No calls yet today."), "{queue}");

    app.state.clock.pin(evening + Duration::hours(1));
    let (_, queue) = handler.get_text("/queue").await;
    assert!(queue.contains("No calls yet today."), "{queue}");
}
