//! Risk to life, abusive calls and other moments a call is hard for the customer or the handler.

use serde_json::json;

use crate::backend_test;
use crate::calls::post_json;
use crate::helpers::{session::location, TestApp};
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

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
    // From the queue page: a case number that is none is named, and the debrief is kept. A
    // handler who never called a case is told the same as for a number that does not exist.
    let handler = app.login_as("handler", None).await;
    let not_theirs = call["case"]["id"].to_string();
    for (case, message) in [
        ("10x", "must be a case number, such as 1042"),
        ("999999", "is not a case you have called"),
        (not_theirs.as_str(), "is not a case you have called"),
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
    let follow_up_id = only_follow_up_id(&app);
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

backend_test!(a_supervisor_does_not_record_the_follow_up_of_their_own_call);
/// Supervisors make calls too. The check on how they are after an abusive one is for another
/// supervisor to record: their own page says so, and a completion sent anyway is refused.
async fn a_supervisor_does_not_record_the_follow_up_of_their_own_call(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Own Call Co"));
    let case = refer(&app, &key, referral("OWN-1")).await;
    let supervisor = app.login_as("supervisor", None).await;
    let taken = supervisor.post_form("/queue/next", &[]).await;
    let call_page = format!("/calls/{}", case["id"]);
    assert_eq!(crate::helpers::session::location(&taken), call_page);
    let ended = supervisor
        .post_form(
            &format!("{call_page}/outcome"),
            &[("outcome", "abusive_call_ended")],
        )
        .await;
    assert_eq!(ended.status().as_u16(), 303);
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(page.contains("About your own call"), "{page}");
    let follow_up_id = only_follow_up_id(&app);
    let complete = format!("/supervisor/follow-ups/{follow_up_id}/complete");
    let own = supervisor
        .post_form(&complete, &[("note", "I'm fine")])
        .await;
    assert_eq!(own.status().as_u16(), 409);
    let other = app.login_as("supervisor", None).await;
    let done = other
        .post_form(&complete, &[("note", "Talked it through")])
        .await;
    assert_eq!(done.status().as_u16(), 303);
}

/// The id of the one follow-up requested so far.
fn only_follow_up_id(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::follow_ups::table
            .select(outreach::db::schema::follow_ups::id)
            .first(conn)
            .unwrap()
    })
}
