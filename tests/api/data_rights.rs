//! A customer's data rights through their client: everything held about them, erasure, and the
//! client's retention period.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::plans::case_with_plan;
use crate::helpers::TestApp;
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};
use outreach::db::schema::{outbox, plan_links, vulnerabilities};

/// A client's API request: (status, JSON answer or null).
pub async fn call(app: &TestApp, key: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let request = match method {
        "GET" => app.api().get(app.url(path)),
        "PUT" => app.api().put(app.url(path)).json(&body),
        _ => app.api().post(app.url(path)).json(&body),
    };
    let response = request.bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A case with a call note, a vulnerability record and a plan e-mail waiting; (client key, case id).
async fn case_with_history(app: &TestApp) -> (String, Value) {
    let (token, case_id, _) = case_with_plan(app).await;
    let client_id: i64 = app.with_conn(|conn| {
        use outreach::db::schema::cases;
        cases::table
            .find(case_id.as_i64().unwrap())
            .select(cases::client_id)
            .first(conn)
            .unwrap()
    });
    let vulnerability = app
        .api()
        .post(app.url(&format!("/api/v1/cases/{case_id}/vulnerability")))
        .bearer_auth(&token)
        .json(&json!({"drivers": ["health"], "consent": true, "consent_how": "Verbal", "consented_by": "Sam Example, son, power of attorney", "note": "Recovering from an operation"}))
        .send()
        .await
        .unwrap();
    assert_eq!(vulnerability.status().as_u16(), 204);
    let (status, _) = outcome(
        app,
        &token,
        &case_id,
        json!({"outcome": "plan_proposed", "notes": "Works nights; call after 2pm"}),
    )
    .await;
    assert_eq!(status, 200);
    (app.client_api_key(client_id), case_id)
}

backend_test!(a_client_exports_everything_held_about_its_customer);
async fn a_client_exports_everything_held_about_its_customer(app: TestApp) {
    let (key, case_id) = case_with_history(&app).await;
    let path = format!("/api/v1/cases/{case_id}/export");
    let (status, export) = call(&app, &key, "GET", &path, Value::Null).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["case"]["customer_name"], "Ann Example");
    assert_eq!(export["calls"][0]["notes"], "Works nights; call after 2pm");
    assert_eq!(export["vulnerabilities"][0]["drivers"], json!(["health"]));
    assert_eq!(export["vulnerabilities"][0]["consent_how"], "Verbal");
    assert_eq!(
        export["vulnerabilities"][0]["consented_by"],
        "Sam Example, son, power of attorney"
    );
    assert_eq!(export["plans"][0]["email"], "ann@example.org");
    assert_eq!(export["emails"][0]["to"], "ann@example.org");
    assert_eq!(export["erased_at"], Value::Null);
    assert_eq!(export["staff_records"]["follow_ups"], json!([]));
    assert!(export["plans"][0]["change_asked_at"].is_null());
    assert!(
        export["vulnerabilities"][0]["recorded_by"]
            .as_str()
            .is_some_and(|name| !name.is_empty()),
        "who recorded it: {export}"
    );
    assert_eq!(export["emails_stopped"], json!([]));
    // The customer stops e-mails: the export says so.
    crate::helpers::plans::drain(&app).await;
    crate::helpers::plans::customer_stops_emails(&app).await;
    let (_, export) = call(&app, &key, "GET", &path, Value::Null).await;
    assert_eq!(
        export["emails_stopped"][0]["email"], "ann@example.org",
        "{export}"
    );
    let other = app.client_api_key(app.create_client("Not Theirs"));
    assert_eq!(call(&app, &other, "GET", &path, Value::Null).await.0, 404);
}

backend_test!(erasure_removes_the_person_and_keeps_the_figures);
async fn erasure_removes_the_person_and_keeps_the_figures(app: TestApp) {
    let (key, case_id) = case_with_history(&app).await;
    let other = app.client_api_key(app.create_client("Not Theirs Either"));
    let erase = format!("/api/v1/cases/{case_id}/erase");
    assert_eq!(call(&app, &other, "POST", &erase, json!({})).await.0, 404);
    let (status, erased) = call(&app, &key, "POST", &erase, json!({})).await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["erased_at"], "2026-03-10T10:00:00Z");

    let (_, export) = call(
        &app,
        &key,
        "GET",
        &format!("/api/v1/cases/{case_id}/export"),
        Value::Null,
    )
    .await;
    assert_eq!(export["case"]["customer_name"], "(erased)");
    assert_eq!(export["case"]["status"], "closed");
    for gone in ["email", "phone", "notes", "circumstances"] {
        assert_eq!(export["case"][gone], Value::Null, "{gone}");
    }
    assert_eq!(export["calls"][0]["notes"], Value::Null);
    assert_eq!(
        export["calls"][0]["outcome"], "plan_proposed",
        "what happened stays"
    );
    assert_eq!(export["vulnerabilities"], json!([]));
    assert_eq!(export["plans"][0]["email"], "");
    assert_eq!(export["plans"][0]["amount_minor"], 1250);
    assert_eq!(export["emails"][0]["to"], "");
    assert_eq!(
        export["emails"][0]["status"], "suppressed",
        "the unsent plan e-mail is withdrawn"
    );
    let (links, vulnerable_records): (i64, i64) = app.with_conn(|conn| {
        (
            plan_links::table.count().get_result(conn).unwrap(),
            vulnerabilities::table.count().get_result(conn).unwrap(),
        )
    });
    assert_eq!((links, vulnerable_records), (0, 0));
    let pending: i64 = app.with_conn(|conn| {
        outbox::table
            .filter(outbox::status.eq("pending"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(pending, 0);

    // The client's figures still count the customer.
    let (_, report) = call(
        &app,
        &key,
        "GET",
        "/api/v1/reports/re-engagement?from=2026-03-01&to=2026-03-31",
        Value::Null,
    )
    .await;
    let measures = &report["periods"][0]["measures"];
    assert_eq!(
        (&measures["referred"], &measures["contacted"]),
        (&json!(1), &json!(1)),
        "{report}"
    );

    // Asking again answers with the first erasure, a day later.
    app.state.clock.pin(tuesday_morning() + Duration::days(1));
    let (status, again) = call(&app, &key, "POST", &erase, json!({})).await;
    assert_eq!((status, &again["erased_at"]), (200, &erased["erased_at"]));
    assert_ne!(
        export["case"]["reference"], "P-1",
        "the client's reference identifies them too"
    );
    let erased_twice = app.with_conn(|conn| {
        let case = outreach::cases::store::find(conn, case_id.as_i64().unwrap()).unwrap();
        let actor = outreach::audit::Actor::System;
        let why = outreach::cases::privacy::Erasure::Request;
        outreach::cases::privacy::erase(conn, actor, &case, why, tuesday_morning().naive_utc())
            .unwrap()
    });
    assert!(
        !erased_twice,
        "a second erasure finds the first and does nothing"
    );
}

backend_test!(an_erased_customer_is_never_called);
async fn an_erased_customer_is_never_called(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Forgetful Co"));
    let case = refer(&app, &key, referral("E-1")).await;
    assert_eq!(case["status"], "queued", "due now");
    let (status, _) = call(
        &app,
        &key,
        "POST",
        &format!("/api/v1/cases/{}/erase", case["id"]),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, token) = app.staff_token("handler");
    assert_eq!(next_call(&app, &token).await.0, 204);
    // Nothing more is recorded about them: a hold's note would be kept past the erasure.
    let (status, body) = call(
        &app,
        &key,
        "POST",
        &format!("/api/v1/cases/{}/holds", case["id"]),
        json!({"kind": "dispute", "note": "Disputes the balance with Mrs Smith"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("erased"),
        "{body}"
    );
    // The same reference sent again later is a new customer, not the erased one.
    let again = refer(&app, &key, referral("E-1")).await;
    assert_ne!(again["id"], case["id"]);
}

backend_test!(closed_cases_are_erased_when_the_clients_retention_period_ends);
async fn closed_cases_are_erased_when_the_clients_retention_period_ends(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Tidy Council"));
    let set = |days: i64| {
        call(
            &app,
            &key,
            "PUT",
            "/api/v1/data-retention",
            json!({"retention_days": days}),
        )
    };
    let (status, body) = set(0).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["retention_days"].is_array());
    assert_eq!(set(30).await.0, 200);
    let (_, saved) = call(&app, &key, "GET", "/api/v1/data-retention", Value::Null).await;
    assert_eq!(saved["retention_days"], 30);

    // A case referred, called and closed (declined) on each of two days.
    let (_, token) = app.staff_token("handler");
    let mut closed = Vec::new();
    for (reference, day) in [("OLD-1", 0), ("NEW-1", 20)] {
        app.state.clock.pin(tuesday_morning() + Duration::days(day));
        closed.push(refer(&app, &key, referral(reference)).await);
        let (_, claimed) = next_call(&app, &token).await;
        let (_, case) = outcome(
            &app,
            &token,
            &claimed["case"]["id"],
            json!({"outcome": "declined"}),
        )
        .await;
        assert_eq!(case["status"], "closed");
    }
    let [early, later] = [closed[0].clone(), closed[1].clone()];
    let open = refer(&app, &key, referral("OPEN-1")).await;
    // Never closed, nothing done since the first day: a customer who died is erased like a
    // closed case; one who asked not to be contacted is kept (erased, the same customer
    // referred again would be a new case without the request).
    app.state.clock.pin(tuesday_morning());
    let mut held = Vec::new();
    for (reference, kind) in [("DEAD-1", "deceased"), ("DNC-1", "do_not_contact")] {
        let case = refer(&app, &key, referral(reference)).await;
        let holds = format!("/api/v1/cases/{}/holds", case["id"]);
        let (status, _) = call(&app, &key, "POST", &holds, json!({"kind": kind})).await;
        assert_eq!(status, 201);
        held.push(case);
    }
    let [died, asked_not_to_be_called] = [held[0].clone(), held[1].clone()];

    // 31 days after the first closed: only it and the one who died are past the 30 days.
    let now = (tuesday_morning() + Duration::days(31)).naive_utc();
    let erased =
        app.with_conn(|conn| outreach::cases::privacy::apply_retention(conn, now).unwrap());
    assert_eq!(erased, 2);
    for (case, expected) in [
        (&early, "(erased)"),
        (&died, "(erased)"),
        (&asked_not_to_be_called, "Ann Example"),
        (&later, "Ann Example"),
        (&open, "Ann Example"),
    ] {
        let path = format!("/api/v1/cases/{}/export", case["id"]);
        let export = app.get_json(&path, &key).await;
        assert_eq!(
            export["case"]["customer_name"], expected,
            "{}",
            case["reference"]
        );
    }
    let again = app.with_conn(|conn| outreach::cases::privacy::apply_retention(conn, now).unwrap());
    assert_eq!(again, 0, "erased once");
}

/// A supervisor's alert about a case is staff mail: sending it records no support links as
/// e-mailed to the customer (who got nothing), and the client's export of what is held about the
/// customer lists neither it nor the supervisor's address.
async fn staff_alerts_are_not_the_customers_mail(backend: crate::helpers::Backend) {
    let sink = outreach::mail::catcher::SmtpSink::start();
    let app =
        crate::helpers::app::spawn_with(backend, crate::helpers::plans::with_smtp(sink.port)).await;
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Alert Co"));
    let case = refer(&app, &key, referral("AL-1")).await;
    app.create_user("supervisor", None);
    let (_, token) = app.staff_token("handler");
    let escalate = format!("/api/v1/cases/{}/escalations", case["id"]);
    let (status, _) =
        crate::calls::post_json(&app, &token, &escalate, json!({"kind": "risk_to_life"})).await;
    assert_eq!(status, 201);
    assert_eq!(crate::helpers::plans::drain(&app).await, 1);
    assert_eq!(sink.received().len(), 1, "the supervisor was alerted");
    let links: i64 = app.with_conn(|conn| {
        outreach::db::schema::support_links::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(links, 0, "no support link went to the customer");
    let path = format!("/api/v1/cases/{}/export", case["id"]);
    let (status, export) = call(&app, &key, "GET", &path, Value::Null).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["emails"], json!([]), "{export}");
}

backend_test!(staff_alerts_are_not_the_customers_mail, given_the_backend);

backend_test!(erasure_removes_what_the_customer_needed_help_with_and_keeps_staff_alerts);
/// What a customer needed help with (gambling, mental health) is special-category data: the
/// organisations mentioned on the call go with the erasure, and the audit trail names no need.
/// A supervisor's alert raised just before the erasure still reaches the supervisors.
async fn erasure_removes_what_the_customer_needed_help_with_and_keeps_staff_alerts(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Careful Gas"));
    let case = refer(&app, &key, referral("NEEDS-1")).await;
    app.create_user("supervisor", None);
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let organisation: i64 = app.with_conn(|conn| {
        use outreach::db::schema::support_organisations as orgs;
        orgs::table
            .filter(orgs::name.eq("GamCare"))
            .select(orgs::id)
            .first(conn)
            .unwrap()
    });
    let recorded = handler
        .post_form(
            &format!("{call_page}/support"),
            &[
                ("needs", "gambling"),
                ("mentioned", &organisation.to_string()),
            ],
        )
        .await;
    assert!(recorded.status().is_redirection());
    let raised = handler
        .post_form(&format!("{call_page}/risk-to-life"), &[("note", "")])
        .await;
    assert!(raised.status().is_redirection());
    let export_path = format!("/api/v1/cases/{}/export", case["id"]);
    let (_, export) = call(&app, &key, "GET", &export_path, Value::Null).await;
    assert_eq!(
        export["support_mentioned_on_calls"][0]["organisation"], "GamCare",
        "the customer's copy lists what was mentioned: {export}"
    );

    let erase = format!("/api/v1/cases/{}/erase", case["id"]);
    assert_eq!(call(&app, &key, "POST", &erase, json!({})).await.0, 200);
    let (mentions, trail, alerts): (i64, Vec<String>, Vec<(String, String)>) =
        app.with_conn(|conn| {
            use outreach::db::schema::{audit_log, support_mentions};
            (
                support_mentions::table.count().get_result(conn).unwrap(),
                audit_log::table
                    .select(audit_log::detail)
                    .load(conn)
                    .unwrap(),
                outbox::table
                    .filter(outbox::kind.eq("supervisor_alert"))
                    .select((outbox::status, outbox::recipient))
                    .load(conn)
                    .unwrap(),
            )
        });
    assert_eq!(mentions, 0);
    assert!(
        trail.iter().all(|detail| !detail.contains("gambling")),
        "{trail:?}"
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].0, "pending", "the supervisors' alert still goes");
    assert!(alerts[0].1.contains('@'), "{alerts:?}");
}
