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

backend_test!(the_handler_on_the_call_stays_on_it_after_raising_a_risk_to_life);
async fn the_handler_on_the_call_stays_on_it_after_raising_a_risk_to_life(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Crisis Water"));
    let case = refer(&app, &key, referral("RISK-ON-CALL")).await;
    let (_, token) = app.staff_token("handler");
    next_call(&app, &token).await;
    let path = format!("/api/v1/cases/{}/escalations", case["id"]);
    let (status, _) = post_json(&app, &token, &path, json!({"kind": "risk_to_life"})).await;
    assert_eq!(status, 201);
    // Still theirs: what happened is recorded, and that puts the case on hold.
    let (status, recorded) = outcome(
        &app,
        &token,
        &case["id"],
        json!({"outcome": "spoke_to_customer", "notes": "Gave Samaritans' number; stayed on the line"}),
    )
    .await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(recorded["status"], "on_hold");
    let follow_ups: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::follow_ups;
        follow_ups::table
            .select(follow_ups::reason)
            .load(conn)
            .unwrap()
    });
    assert_eq!(follow_ups, ["Risk to life raised on a call: debrief"]);
}

backend_test!(risk_to_life_holds_the_case_alerts_supervisors_and_gives_local_numbers);
async fn risk_to_life_holds_the_case_alerts_supervisors_and_gives_local_numbers(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Crisis Co"));
    let mut scot = referral("SCOT");
    scot["region"] = json!("scotland");
    let case = refer(&app, &key, scot).await;
    app.create_user("supervisor", None);
    let (_, token) = app.staff_token("handler");
    let (status, contacts) = post_json(
        &app,
        &token,
        &format!("/api/v1/cases/{}/escalations", case["id"]),
        json!({"kind": "risk_to_life"}),
    )
    .await;
    assert_eq!(status, 201);
    let services: Vec<&str> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert_eq!(contacts[0]["phone"], "999", "emergency first: {services:?}");
    assert!(
        services.iter().any(|s| s.contains("Police Scotland")),
        "{services:?}"
    );
    assert!(!services.iter().any(|s| s.contains("PSNI")));
    let (stored_status, alerts): (String, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        let status: String = outreach::db::schema::cases::table
            .find(case["id"].as_i64().unwrap())
            .select(outreach::db::schema::cases::status)
            .first(conn)
            .unwrap();
        let alerts = outreach::db::schema::outbox::table
            .filter(outreach::db::schema::outbox::kind.eq("supervisor_alert"))
            .count()
            .get_result(conn)
            .unwrap();
        (status, alerts)
    });
    assert_eq!(stored_status, "on_hold");
    assert_eq!(alerts, 1, "one e-mail per supervisor, queued");
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(
        page.contains("risk to life"),
        "shown on the supervisor's page"
    );
}

backend_test!(an_abusive_call_asks_a_supervisor_to_follow_up);
async fn an_abusive_call_asks_a_supervisor_to_follow_up(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Rough Co"));
    refer(&app, &key, referral("R-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    outcome(
        &app,
        &token,
        &call["case"]["id"],
        json!({"outcome": "abusive_call_ended"}),
    )
    .await;
    let (status, _) = post_json(
        &app,
        &token,
        "/api/v1/debriefs",
        json!({"case_id": call["case"]["id"], "body": "Shaken, but OK after a tea."}),
    )
    .await;
    assert_eq!(status, 201);
    // From the queue page: a case number that is none is named, and the debrief is kept.
    let handler = app.login_as("handler", None).await;
    for (case, message) in [
        ("10x", "must be a case number, such as 1042"),
        ("999999", "is not a case number we know"),
    ] {
        let refused = handler
            .post_form(
                "/debriefs",
                &[("case_id", case), ("body", "Long day & a hard call")],
            )
            .await;
        assert_eq!(refused.status().as_u16(), 422);
        let html = refused.text().await.unwrap();
        assert!(html.contains(message), "{html}");
        assert!(html.contains("Long day &amp; a hard call</textarea>"));
        assert!(html.contains(&format!(r#"value="{case}""#)));
    }
    let supervisor = app.login_as("supervisor", None).await;
    let (status, page) = supervisor.get_text("/supervisor").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Call ended because of abuse"), "{page}");
    assert!(page.contains("Shaken, but OK after a tea."));
    let follow_up_id: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::follow_ups::table
            .select(outreach::db::schema::follow_ups::id)
            .first(conn)
            .unwrap()
    });
    let complete = format!("/supervisor/follow-ups/{follow_up_id}/complete");
    // Refused notes come back in their own form: as typed, unless they carry payment data.
    let too_long = "Talked it through. ".repeat(120);
    for (note, kept) in [
        (too_long.as_str(), true),
        ("Card 4111 1111 1111 1111", false),
    ] {
        let refused = supervisor.post_form(&complete, &[("note", note)]).await;
        assert_eq!(refused.status().as_u16(), 422);
        let html = refused.text().await.unwrap();
        assert_eq!(html.contains(&format!(r#"value="{note}""#)), kept, "{note}");
        assert!(!crate::helpers::shows_test_card(&html));
    }
    let done = supervisor
        .post_form(
            &complete,
            &[("note", "Talked it through; took 20 minutes off")],
        )
        .await;
    assert_eq!(location(&done), "/supervisor");
    // Sent twice (a double click): recorded is recorded; another supervisor is told it is done.
    let again = supervisor
        .post_form(
            &complete,
            &[("note", "Talked it through; took 20 minutes off")],
        )
        .await;
    assert_eq!(location(&again), "/supervisor");
    let other = app.login_as("supervisor", None).await;
    let late = other.post_form(&complete, &[("note", "Rang them")]).await;
    assert_eq!(late.status().as_u16(), 409);
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(
        !page.contains("Call ended because of abuse"),
        "no longer open"
    );
}

backend_test!(admins_maintain_the_emergency_numbers_handlers_are_shown);
async fn admins_maintain_the_emergency_numbers_handlers_are_shown(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let admin = app.login_as("admin", None).await;
    let added = admin
        .post_form(
            "/admin/emergency-contacts",
            &[
                ("region", "wales"),
                ("service", "CALL Mental Health Listening Line"),
                ("phone", "0800 132 737"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(location(&added), "/admin/emergency-contacts");
    let handler = app.login_as("handler", None).await;
    assert_eq!(
        handler
            .get("/admin/emergency-contacts")
            .await
            .status()
            .as_u16(),
        403
    );
    let key = app.client_api_key(app.create_client("Welsh Water"));
    let mut wales = referral("CYM-1");
    wales["region"] = json!("wales");
    let case = refer(&app, &key, wales).await;
    let (_, token) = app.staff_token("handler");
    let (_, contacts) = post_json(
        &app,
        &token,
        &format!("/api/v1/cases/{}/escalations", case["id"]),
        json!({"kind": "risk_to_life"}),
    )
    .await;
    let services: Vec<&str> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert!(
        services.contains(&"CALL Mental Health Listening Line"),
        "{services:?}"
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

backend_test!(raising_a_risk_to_life_twice_is_one_alarm);
/// A double click on "Risk to life", or the numbers page refreshed: one hold, one escalation,
/// one e-mail per supervisor; the numbers are shown each time.
async fn raising_a_risk_to_life_twice_is_one_alarm(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Twice Water"));
    let case = refer(&app, &key, referral("TWICE-1")).await;
    app.create_user("supervisor", None);
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    for _ in 0..2 {
        let raised = handler
            .post_form(&format!("{call_page}/risk-to-life"), &[("note", "")])
            .await;
        let numbers = location(&raised);
        assert_eq!(numbers, format!("{call_page}/emergency"));
        for _ in 0..2 {
            let (status, page) = handler.get_text(&numbers).await;
            assert_eq!(status, 200);
            assert!(page.contains("999"), "{page}");
        }
    }
    let (escalations, alerts): (i64, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::{escalations, outbox};
        (
            escalations::table.count().get_result(conn).unwrap(),
            outbox::table
                .filter(outbox::kind.eq("supervisor_alert"))
                .count()
                .get_result(conn)
                .unwrap(),
        )
    });
    assert_eq!((escalations, alerts), (1, 1));
    // A supervisor lifts the hold (the escalation stays open); raised again, it is a new alarm.
    let (id, hold): (i64, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::{escalations, holds};
        (
            escalations::table
                .select(escalations::id)
                .first(conn)
                .unwrap(),
            holds::table.select(holds::id).first(conn).unwrap(),
        )
    });
    let supervisor = app.login_as("supervisor", None).await;
    let lifted = supervisor
        .post_form(&format!("{call_page}/holds/{hold}/lift"), &[])
        .await;
    assert!(lifted.status().is_redirection());
    let again = handler
        .post_form(&format!("{call_page}/risk-to-life"), &[("note", "")])
        .await;
    assert!(again.status().is_redirection());
    let escalations: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::escalations::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(escalations, 2, "with no hold in force, it is raised again");
    // A supervisor resolves the first; sent twice (a double click), it is resolved, not "not
    // found".
    let resolve = format!("/supervisor/escalations/{id}/resolve");
    for _ in 0..2 {
        assert_eq!(
            location(&supervisor.post_form(&resolve, &[]).await),
            "/supervisor"
        );
    }
    let missing = supervisor
        .post_form("/supervisor/escalations/999999/resolve", &[])
        .await;
    assert_eq!(missing.status().as_u16(), 404);
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
