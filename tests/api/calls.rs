//! The call: its script, outcomes, vulnerability records and the call screen.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{session::location, TestApp};
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

pub async fn post_json(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .api()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

backend_test!(the_claimed_call_comes_with_the_no_payment_statement_first);
async fn the_claimed_call_comes_with_the_no_payment_statement_first(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Script Co"));
    refer(&app, &key, referral("S-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    let statement = call["script"]["no_payment_statement"].as_str().unwrap();
    assert!(
        statement.starts_with("I'm not calling to take a payment"),
        "{statement}"
    );
    let body = call["script"]["body"].as_str().unwrap();
    assert!(body.contains("Hello, may I speak to Ann?"));
    assert!(body.contains("£1,250.00"));
    assert!(body.contains("Script Co"));
    let version = call["script"]["version_id"].clone();
    let (status, _) = outcome(
        &app,
        &token,
        &call["case"]["id"],
        json!({"outcome": "spoke_to_customer", "script_version_id": version}),
    )
    .await;
    assert_eq!(status, 200);
    let used: Option<i64> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::contact_attempts::dsl::*;
        contact_attempts
            .select(script_version_id)
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        used,
        version.as_i64(),
        "each call records the script version it used"
    );
}

backend_test!(supervisors_edit_scripts_but_not_without_the_statement);
async fn supervisors_edit_scripts_but_not_without_the_statement(app: TestApp) {
    let supervisor = app.login_as("supervisor", None).await;
    let (status, page) = supervisor.get_text("/supervisor/scripts").await;
    assert_eq!(status, 200);
    assert!(page.contains("Preview against a sample case"));
    let refused = supervisor
        .post_form(
            "/supervisor/scripts",
            &[
                ("body", "Hello {{ customer_first_name }}"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("must begin with the no-payment statement"));
    let preview = supervisor
        .post_form("/supervisor/scripts", &[("body", "{% block no_payment %}I will not take a payment today.{% endblock no_payment %}Hi {{ customer_first_name }}"), ("action", "preview")])
        .await;
    let html = preview.text().await.unwrap();
    assert!(
        html.contains("Hi Sam"),
        "preview renders against the sample case"
    );
    let saved = supervisor
        .post_form("/supervisor/scripts", &[("body", "{% block no_payment %}I will not take a payment today.{% endblock no_payment %}Hi {{ customer_first_name }}"), ("action", "save")])
        .await;
    // The confirmation is a page of its own: refreshing it saves nothing again.
    let confirmation = location(&saved);
    assert!(confirmation.starts_with("/supervisor/scripts?saved="));
    for _ in 0..2 {
        let (_, page) = supervisor.get_text(&confirmation).await;
        assert!(page.contains("Saved as version"));
    }
    let versions: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::script_versions::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(versions, 2, "the default and the new one");
    let handler = app.login_as("handler", None).await;
    assert_eq!(
        handler.get("/supervisor/scripts").await.status().as_u16(),
        403,
        "a handler cannot edit scripts"
    );
    let client_id = app.create_client("Nosy");
    let client = app.login_as("client", Some(client_id)).await;
    assert_eq!(
        client.get("/queue").await.status().as_u16(),
        403,
        "a client user cannot reach handler pages"
    );
}

backend_test!(vulnerability_needs_consent_and_raises_priority);
async fn vulnerability_needs_consent_and_raises_priority(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Care Co"));
    let with_days = |reference: &str, days: i64| {
        let mut r = referral(reference);
        r["days_in_arrears"] = json!(days);
        r
    };
    for (reference, days) in [("LONG", 500), ("SHORT", 3), ("MIDDLE", 400)] {
        refer(&app, &key, with_days(reference, days)).await;
    }
    let (_, token) = app.staff_token("handler");
    let mut called = Vec::new();
    for _ in 0..3 {
        let (_, call) = next_call(&app, &token).await;
        let id = call["case"]["id"].clone();
        let reference = call["case"]["reference"].as_str().unwrap().to_string();
        if reference == "SHORT" {
            let path = format!("/api/v1/cases/{id}/vulnerability");
            let (status, body) = post_json(
                &app,
                &token,
                &path,
                json!({"drivers": ["health"], "consent": false}),
            )
            .await;
            assert_eq!(status, 422);
            assert!(
                body["fields"]["consent"].is_array() && body["fields"]["consent_how"].is_array()
            );
            let (status, _) = post_json(&app, &token, &path, json!({"drivers": ["health", "life_events"], "consent": true, "consent_how": "Verbal, told it helps us take care"})).await;
            assert_eq!(status, 204);
        } else {
            // Only on the call: not on a case another handler, or nobody, holds.
            let (_, other) = app.staff_token("handler");
            let path = format!("/api/v1/cases/{id}/vulnerability");
            let (status, _) = post_json(
                &app,
                &other,
                &path,
                json!({"drivers": ["health"], "consent": true, "consent_how": "Verbal"}),
            )
            .await;
            assert_eq!(status, 409, "recorded only by the handler on the call");
        }
        outcome(&app, &token, &id, json!({"outcome": "no_answer"})).await;
        called.push(reference);
    }
    assert_eq!(called, ["LONG", "MIDDLE", "SHORT"], "longest arrears first");
    // All three are due again after the four-hour gap: the vulnerable customer comes first.
    app.state
        .clock
        .pin(tuesday_morning() + chrono::Duration::hours(5));
    let (_, call) = next_call(&app, &token).await;
    assert_eq!(
        call["case"]["reference"], "SHORT",
        "recorded vulnerability comes before longer arrears"
    );
    let details: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("vulnerability_recorded"))
            .select(audit_log::detail)
            .load(conn)
            .unwrap()
    });
    assert_eq!(details.len(), 1);
    assert!(
        details.iter().all(|d| !d.contains("health")),
        "health data stays out of the audit trail: {details:?}"
    );
}

backend_test!(
    the_call_screen_shows_plans_in_words_the_callback_in_their_time_and_forms_to_the_handler_only
);
/// What a handler reads out is in words, never minor units; a booked callback shows in the
/// customer's time; a supervisor looking at the case sees no forms that only the handler on the
/// call can use (they answered 409 and lost what was typed).
async fn the_call_screen_shows_plans_in_words_the_callback_in_their_time_and_forms_to_the_handler_only(
    app: TestApp,
) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Words Water"));
    let case = refer(&app, &key, referral("W-1")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let (_, page) = handler.get_text(&call_page).await;
    assert!(
        page.contains(r#"<option value="">Choose what happened</option>"#),
        "no outcome is chosen for the handler"
    );
    let plan = handler
        .post_form(
            &format!("{call_page}/plans"),
            &[
                ("amount", "12.50"),
                ("frequency", "weekly"),
                ("first_payment_on", "2026-03-16"),
                ("email", "ann@example.org"),
            ],
        )
        .await;
    assert!(plan.status().is_success() || plan.status().is_redirection());
    let (_, page) = handler.get_text(&call_page).await;
    assert!(
        page.contains("Plan v1: £12.50 every week, starting Monday 16 March"),
        "{page}"
    );
    assert!(!page.contains("1250 GBP"));

    // The customer asks for a call back at 18:30 their time (London, GMT in March).
    let booked = handler
        .post_form(
            &format!("{call_page}/outcome"),
            &[
                ("outcome", "callback_requested"),
                ("callback_at", "2026-03-11T18:30"),
            ],
        )
        .await;
    assert!(location(&booked).starts_with("/queue"));
    let supervisor = app.login_as("supervisor", None).await;
    let (status, page) = supervisor.get_text(&call_page).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Wednesday 11 March, 18:30 (GMT)"),
        "the callback in their time: {page}"
    );
    assert!(page.contains(r#"id="viewing-only""#));
    for handler_only in [
        "plan-form",
        "support-form",
        "outcome-form",
        "/vulnerability",
    ] {
        assert!(
            !page.contains(handler_only),
            "{handler_only} shown to a supervisor"
        );
    }
    let (_, supervisor_page) = supervisor.get_text("/supervisor").await;
    assert!(!supervisor_page.contains("1250 GBP"));
}

backend_test!(an_outcome_sent_twice_is_recorded_once_and_not_shown_as_an_error);
/// A double click on "Record outcome": the second copy finds the claim ended by the first. The
/// handler is taken on to the queue as for the first, not shown "not claimed by you"; one attempt
/// is recorded. A different outcome sent afterwards is still refused.
async fn an_outcome_sent_twice_is_recorded_once_and_not_shown_as_an_error(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Twice Gas"));
    let case = refer(&app, &key, referral("OUT-2")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let form = [("outcome", "no_answer"), ("notes", "Rang out")];
    for _ in 0..2 {
        let sent = handler
            .post_form(&format!("{call_page}/outcome"), &form)
            .await;
        assert_eq!(location(&sent), "/queue?notice=recorded");
    }
    let attempts: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::contact_attempts;
        contact_attempts::table.count().get_result(conn).unwrap()
    });
    assert_eq!(attempts, 1);
    let other = handler
        .post_form(
            &format!("{call_page}/outcome"),
            &[("outcome", "spoke_to_customer")],
        )
        .await;
    assert_eq!(other.status().as_u16(), 409);
    let changed_notes = handler
        .post_form(
            &format!("{call_page}/outcome"),
            &[("outcome", "no_answer"), ("notes", "Rang out twice")],
        )
        .await;
    assert_eq!(changed_notes.status().as_u16(), 409, "not a repeat: say so");

    // A callback sent twice is one callback; the same outcome with another time is refused, not
    // taken for the first (which would keep the old time while the handler thinks it changed).
    let case = refer(&app, &key, referral("OUT-3")).await;
    let call_page = format!("/calls/{}", case["id"]);
    assert_eq!(
        location(&handler.post_form("/queue/next", &[]).await),
        call_page
    );
    let callback = |at: &'static str| [("outcome", "callback_requested"), ("callback_at", at)];
    for _ in 0..2 {
        let sent = handler
            .post_form(
                &format!("{call_page}/outcome"),
                &callback("2026-03-11T18:30"),
            )
            .await;
        assert_eq!(location(&sent), "/queue?notice=recorded");
    }
    let moved = handler
        .post_form(
            &format!("{call_page}/outcome"),
            &callback("2026-03-11T19:00"),
        )
        .await;
    assert_eq!(moved.status().as_u16(), 409);
}

backend_test!(a_form_sent_after_the_claim_ran_out_shows_back_what_was_typed);
/// The call ran over, or the laptop slept, and the claim ran out before "Record" was pressed.
/// The call screen then says so instead of offering forms that would be refused; a form sent
/// anyway records nothing and shows what the handler typed, to copy, not an error page.
async fn a_form_sent_after_the_claim_ran_out_shows_back_what_was_typed(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Overrun Water"));
    let case = refer(&app, &key, referral("OUT-4")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    app.state
        .clock
        .pin(tuesday_morning() + chrono::Duration::minutes(16));
    let (status, screen) = handler.get_text(&call_page).await;
    assert_eq!(status, 200);
    assert!(screen.contains("id=\"claim-ran-out\""), "{screen}");
    assert!(!screen.contains(&format!("action=\"{call_page}/outcome\"")));

    let notes = "Lost her job in May; can manage 5 a week from Friday";
    let sent = handler
        .post_form(
            &format!("{call_page}/outcome"),
            &[("outcome", "spoke_to_customer"), ("notes", notes)],
        )
        .await;
    assert_eq!(sent.status().as_u16(), 409);
    let page = sent.text().await.unwrap();
    assert!(page.contains("Not recorded"), "{page}");
    assert!(page.contains("claim ran out"), "{page}");
    assert!(page.contains(notes), "what was typed is shown back: {page}");
    let plan = handler
        .post_form(
            &format!("{call_page}/plans"),
            &[
                ("amount", "5.00"),
                ("frequency", "weekly"),
                ("email", "ann@example.org"),
                ("affordability_note", "Agreed after her rent"),
            ],
        )
        .await;
    assert_eq!(plan.status().as_u16(), 409);
    let page = plan.text().await.unwrap();
    assert!(page.contains("Agreed after her rent"), "{page}");
    let attempts: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::contact_attempts;
        contact_attempts::table.count().get_result(conn).unwrap()
    });
    assert_eq!(attempts, 0, "nothing was recorded");
}
