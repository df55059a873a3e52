//! Holds, holidays and policy changes as the queue applies them: who may be called, and when,
//! once something about a case or its client's rules has changed.

use chrono::Duration;
use serde_json::{json, Value};

use crate::backend_test;
use crate::calls::post_json;
use crate::helpers::TestApp;
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

/// A Tuesday-morning referral called once by a new handler with `ending` as the outcome:
/// (the handler's token, the case id, the case as the outcome left it).
async fn called_once(
    app: &TestApp,
    client: &str,
    reference: &str,
    ending: &str,
) -> (String, i64, Value) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client(client));
    refer(app, &key, referral(reference)).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(app, &token).await;
    let (_, case) = outcome(app, &token, &call["case"]["id"], json!({"outcome": ending})).await;
    let case_id = call["case"]["id"].as_i64().unwrap();
    (token, case_id, case)
}

/// The one hold in the database.
fn only_hold(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::holds::dsl::*;
        holds.select(id).first(conn).unwrap()
    })
}

backend_test!(a_supervisor_lifts_a_hold_and_the_case_is_due_again);
async fn a_supervisor_lifts_a_hold_and_the_case_is_due_again(app: TestApp) {
    let (_, case_id, case) = called_once(&app, "Dispute Co", "D-1", "dispute").await;
    assert_eq!(case["status"], "on_hold");
    assert_eq!(case["next_contact_at"], Value::Null, "open-ended");
    let hold_id = only_hold(&app);
    let path = format!("/calls/{case_id}/holds/{hold_id}/lift");
    let handler = app.login_as("handler", None).await;
    assert_eq!(
        handler.post_form(&path, &[]).await.status().as_u16(),
        403,
        "handlers cannot lift holds"
    );
    // A week later (the quiet week after the conversation has passed), a supervisor lifts it.
    app.state.clock.pin(tuesday_morning() + Duration::days(8));
    let supervisor = app.login_as("supervisor", None).await;
    assert_eq!(
        supervisor.post_form(&path, &[]).await.status().as_u16(),
        303
    );
    let (status, actions): (String, Vec<String>) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::{audit_log, cases};
        let status = cases::table
            .find(case_id)
            .select(cases::status)
            .first(conn)
            .unwrap();
        let actions = audit_log::table
            .select(audit_log::action)
            .load(conn)
            .unwrap();
        (status, actions)
    });
    assert_eq!(status, "queued");
    assert!(actions.iter().any(|a| a == "hold_lifted"));
    let wrong_case = supervisor
        .post_form(&format!("/calls/{}/holds/{hold_id}/lift", case_id + 1), &[])
        .await;
    assert_eq!(
        wrong_case.status().as_u16(),
        404,
        "a hold is lifted only through its own case"
    );
}

backend_test!(
    a_case_whose_hours_ended_while_queued_is_not_handed_out_and_policy_changes_apply_at_once
);
async fn a_case_whose_hours_ended_while_queued_is_not_handed_out_and_policy_changes_apply_at_once(
    app: TestApp,
) {
    // Referred at 10:00 on a Tuesday in March (London is on GMT): due at once.
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Late Co"));
    let case = refer(&app, &key, referral("LATE")).await;
    assert_eq!(case["status"], "queued");
    let (_, token) = app.staff_token("handler");

    // Nobody took it before the customer's hours ended at 20:00.
    app.state
        .clock
        .pin(tuesday_morning() + Duration::hours(10) + Duration::minutes(30));
    let (status, _) = next_call(&app, &token).await;
    assert_eq!(status, 204, "not handed out at 20:30 the customer's time");
    let stored = app
        .get_json(&format!("/api/v1/cases/{}", case["id"]), &key)
        .await;
    assert_eq!(stored["status"], "scheduled");
    assert_eq!(stored["next_contact_at"], "2026-03-11T08:00:00Z");

    // The client now starts calls at 10:00; the very next claim honours it.
    let stricter = app
        .api()
        .put(app.url("/api/v1/contact-policy"))
        .bearer_auth(&key)
        .json(&json!({"earliest": "10:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stricter.status().as_u16(), 200);
    app.state.clock.pin(tuesday_morning() + Duration::hours(23));
    let (status, _) = next_call(&app, &token).await;
    assert_eq!(status, 204, "09:00 is before the client's new start");
    app.state.clock.pin(tuesday_morning() + Duration::hours(24));
    let (status, call) = next_call(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(call["case"]["reference"], "LATE");
}

backend_test!(an_admin_adds_a_holiday_and_nobody_is_called_that_day);
async fn an_admin_adds_a_holiday_and_nobody_is_called_that_day(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Holiday Co"));
    refer(&app, &key, referral("H-1")).await;
    let second = refer(&app, &key, referral("H-2")).await;
    let (_, first_handler) = app.staff_token("handler");
    let (_, second_handler) = app.staff_token("handler");
    let (status, _) = next_call(&app, &first_handler).await;
    assert_eq!(status, 200);

    let handler = app.login_as("handler", None).await;
    let (status, _) = handler.get_text("/admin/holidays").await;
    assert_eq!(status, 403, "only admins maintain holidays");

    let admin = app.login_as("admin", None).await;
    let (status, page) = admin.get_text("/admin/holidays").await;
    assert_eq!(status, 200);
    assert!(page.contains("Fri 3 April"), "Good Friday 2026 is listed");

    let wrong = admin
        .post_form(
            "/admin/holidays",
            &[
                ("region", "atlantis"),
                ("holiday_date", "10/03/2026"),
                ("name", "Storm day"),
            ],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 422);
    let page = wrong.text().await.unwrap();
    assert!(page.contains("must be a date like"), "{page}");
    assert!(
        page.contains("value=\"Storm day\""),
        "what was typed is kept"
    );

    let added = admin
        .post_form(
            "/admin/holidays",
            &[
                ("region", "england"),
                ("holiday_date", "2026-03-10"),
                ("name", "Storm day"),
            ],
        )
        .await;
    assert_eq!(added.status().as_u16(), 303);
    let (status, _) = next_call(&app, &second_handler).await;
    assert_eq!(status, 204, "today became a holiday: nobody else is called");
    let stored = app
        .get_json(&format!("/api/v1/cases/{}", second["id"]), &key)
        .await;
    assert_eq!(stored["next_contact_at"], "2026-03-11T08:00:00Z");
    let again = admin
        .post_form(
            "/admin/holidays",
            &[
                ("region", "england"),
                ("holiday_date", "2026-03-10"),
                ("name", "Twice"),
            ],
        )
        .await;
    assert_eq!(again.status().as_u16(), 422, "a day is added once");
    // Payment data is refused here as everywhere, and not shown back in the form.
    let card = admin
        .post_form(
            "/admin/holidays",
            &[
                ("region", "england"),
                ("holiday_date", "2026-03-12"),
                ("name", "4111 1111 1111 1111"),
            ],
        )
        .await;
    assert_eq!(card.status().as_u16(), 422);
    let page = card.text().await.unwrap();
    assert!(!crate::helpers::shows_test_card(&page), "{page}");
    // chrono reads a signed six-digit year as a date; no holiday lies there.
    let far = [
        ("region", "england"),
        ("holiday_date", "+12026-03-12"),
        ("name", "Far"),
    ];
    let far = admin.post_form("/admin/holidays", &far).await;
    assert_eq!(far.status().as_u16(), 422);
    assert_eq!(admin.get_text("/admin/holidays").await.0, 200);
}

backend_test!(a_mental_health_breathing_space_protects_for_30_days_after_treatment_ends);
async fn a_mental_health_breathing_space_protects_for_30_days_after_treatment_ends(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Crisis Co"));
    refer(&app, &key, referral("MH-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    let case_id = call["case"]["id"].as_i64().unwrap();
    let (status, case) = outcome(
        &app,
        &token,
        &call["case"]["id"],
        json!({"outcome": "breathing_space", "hold": {"kind": "mental_health_crisis"}}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "on_hold");
    assert_eq!(
        case["next_contact_at"],
        Value::Null,
        "open-ended while treatment lasts"
    );
    let hold_id = only_hold(&app);

    // Ten days later the customer's treatment ends and a supervisor records it.
    let ended = tuesday_morning() + Duration::days(10);
    app.state.clock.pin(ended);
    let supervisor = app.login_as("supervisor", None).await;
    let path = format!("/calls/{case_id}/holds/{hold_id}/lift");
    assert_eq!(
        supervisor.post_form(&path, &[]).await.status().as_u16(),
        303
    );
    let stored = app
        .get_json(&format!("/api/v1/cases/{case_id}"), &key)
        .await;
    assert_eq!(stored["status"], "on_hold");
    assert_eq!(
        stored["next_contact_at"], "2026-04-20T07:00:00Z",
        "30 days after treatment ends is Sunday 19 April: the first call is Monday 08:00 (BST)"
    );
    assert_eq!(
        supervisor.post_form(&path, &[]).await.status().as_u16(),
        409,
        "the 30 days cannot be cut short here"
    );
    app.state.clock.pin(ended + Duration::days(29));
    let (status, _) = next_call(&app, &token).await;
    assert_eq!(status, 204, "still protected on day 29");
    app.state
        .clock
        .pin(ended + Duration::days(30) + Duration::hours(21));
    let (status, due) = next_call(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(due["case"]["reference"], "MH-1");
}

backend_test!(a_closed_case_stays_closed_when_a_hold_is_raised_and_lifted);
async fn a_closed_case_stays_closed_when_a_hold_is_raised_and_lifted(app: TestApp) {
    let (token, case_id, case) = called_once(&app, "Closed Co", "C-1", "declined").await;
    assert_eq!(case["status"], "closed");
    // A worry about the customer's safety afterwards is still recorded and escalated…
    let escalate = format!("/api/v1/cases/{case_id}/escalations");
    let (status, _) = post_json(&app, &token, &escalate, json!({"kind": "risk_to_life"})).await;
    assert_eq!(status, 201);
    let status = || {
        app.with_conn(|conn| {
            use diesel::prelude::*;
            use outreach::db::schema::cases;
            cases::table
                .find(case_id)
                .select((cases::status, cases::closed_reason))
                .first::<(String, Option<String>)>(conn)
                .unwrap()
        })
    };
    assert_eq!(status(), ("closed".into(), Some("declined".into())));
    // …and lifting that hold does not put a customer who declined back in the queue.
    let hold_id = only_hold(&app);
    let supervisor = app.login_as("supervisor", None).await;
    let lifted = supervisor
        .post_form(&format!("/calls/{case_id}/holds/{hold_id}/lift"), &[])
        .await;
    assert_eq!(lifted.status().as_u16(), 303);
    assert_eq!(status(), ("closed".into(), Some("declined".into())));
    let (status, _) = next_call(&app, &token).await;
    assert_eq!(status, 204, "nobody is given the closed case");
}

backend_test!(a_call_held_past_the_end_of_contact_hours_is_not_started);
async fn a_call_held_past_the_end_of_contact_hours_is_not_started(app: TestApp) {
    // Tuesday 10 March 2026, 19:58 in London (GMT): two minutes of contact hours left.
    let evening = tuesday_morning() + Duration::hours(9) + Duration::minutes(58);
    app.state.clock.pin(evening);
    let key = app.client_api_key(app.create_client("Late Co"));
    let case = refer(&app, &key, referral("L-1")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let (_, page) = handler.get_text(&call_page).await;
    assert!(
        page.contains("Start the call before <strong>20:00 GMT</strong>"),
        "{page}"
    );

    // 20:40: the page (renewed while open) says not to call, and asking for the next call
    // puts the case back on schedule for the morning instead of handing it back.
    for minutes in [10, 24, 38] {
        app.state.clock.pin(evening + Duration::minutes(minutes));
        let renewed = handler.post_form(&format!("{call_page}/renew"), &[]).await;
        assert_eq!(
            renewed.status().as_u16(),
            303,
            "the open page keeps the claim"
        );
    }
    app.state.clock.pin(evening + Duration::minutes(42));
    let (_, page) = handler.get_text(&call_page).await;
    assert!(page.contains("id=\"hours-ended\""), "{page}");
    assert!(!page.contains("id=\"call-before\""));
    let next = handler.post_form("/queue/next", &[]).await;
    assert_eq!(
        crate::helpers::session::location(&next),
        "/queue?notice=empty"
    );
    let stored = app
        .get_json(&format!("/api/v1/cases/{}", case["id"]), &key)
        .await;
    assert_eq!(stored["status"], "scheduled");
    assert_eq!(stored["next_contact_at"], "2026-03-11T08:00:00Z");
}

backend_test!(a_claim_is_renewed_for_an_hour_after_contact_hours_end_and_no_longer);
async fn a_claim_is_renewed_for_an_hour_after_contact_hours_end_and_no_longer(app: TestApp) {
    let evening = tuesday_morning() + Duration::hours(9) + Duration::minutes(58);
    app.state.clock.pin(evening);
    let key = app.client_api_key(app.create_client("Overrun Co"));
    let case = refer(&app, &key, referral("O-1")).await;
    let (handler, _) = app.new_handler_on_call(&case).await;
    let renew = format!("/calls/{}/renew", case["id"]);
    // A call begun at 19:58 may run on: the open page keeps the claim until 21:00…
    for minutes in [12, 26, 40, 54] {
        app.state.clock.pin(evening + Duration::minutes(minutes));
        assert_eq!(handler.post_form(&renew, &[]).await.status().as_u16(), 303);
    }
    // …and not after: the claim runs out at 21:07 and the case goes back on schedule.
    app.state.clock.pin(evening + Duration::minutes(64));
    let refused = handler.post_form(&renew, &[]).await;
    assert_eq!(refused.status().as_u16(), 409);
}

backend_test!(a_telephony_system_keeps_a_call_going_past_the_end_of_contact_hours);
// Over the API as on the page: a call begun at 19:58 may be kept, and its outcome recorded, for
// an hour after the hours end; asking for the next call instead would end it (see above).
async fn a_telephony_system_keeps_a_call_going_past_the_end_of_contact_hours(app: TestApp) {
    let evening = tuesday_morning() + Duration::hours(9) + Duration::minutes(58);
    app.state.clock.pin(evening);
    let key = app.client_api_key(app.create_client("Phone System Co"));
    let case = refer(&app, &key, referral("T-1")).await;
    let (_, token) = app.staff_token("handler");
    let (status, claimed) = next_call(&app, &token).await;
    assert_eq!((status, &claimed["case"]["id"]), (200, &case["id"]));
    let renew = format!("/api/v1/calls/{}/renew", case["id"]);

    let (_, someone_else) = app.staff_token("handler");
    let (status, _) = post_json(&app, &someone_else, &renew, json!({})).await;
    assert_eq!(status, 409, "only the handler holding the call keeps it");
    for minutes in [7, 20, 34, 48, 57] {
        app.state.clock.pin(evening + Duration::minutes(minutes));
        let (status, renewed) = post_json(&app, &token, &renew, json!({})).await;
        assert_eq!(status, 200, "{renewed}");
        let until = (evening + Duration::minutes(minutes + 15))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(renewed["lease_expires_at"], until.as_str());
    }
    // 21:01: not renewed any further, but the claim runs to 21:10, time to record the outcome.
    app.state.clock.pin(evening + Duration::minutes(63));
    let (status, refused) = post_json(&app, &token, &renew, json!({})).await;
    assert_eq!(status, 409);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("over an hour ago"),
        "{refused}"
    );
    let (status, recorded) =
        outcome(&app, &token, &case["id"], json!({"outcome": "no_answer"})).await;
    assert_eq!(status, 200, "{recorded}");
}

backend_test!(lifting_a_hold_leaves_the_handler_on_the_call_their_claim);
// A risk to life raised on a call leaves the handler the claim; a supervisor lifting that hold
// meanwhile must not end it, or what was said on the call could no longer be recorded.
async fn lifting_a_hold_leaves_the_handler_on_the_call_their_claim(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Lift Co"));
    let case = refer(&app, &key, referral("LIFT-ON-CALL")).await;
    let (_, token) = app.staff_token("handler");
    next_call(&app, &token).await;
    let escalate = format!("/api/v1/cases/{}/escalations", case["id"]);
    let (status, _) = post_json(&app, &token, &escalate, json!({"kind": "risk_to_life"})).await;
    assert_eq!(status, 201);
    let path = format!("/calls/{}/holds/{}/lift", case["id"], only_hold(&app));
    let supervisor = app.login_as("supervisor", None).await;
    assert_eq!(
        supervisor.post_form(&path, &[]).await.status().as_u16(),
        303
    );
    let (status, recorded) = outcome(
        &app,
        &token,
        &case["id"],
        json!({"outcome": "spoke_to_customer", "notes": "Safe now; agreed to talk again"}),
    )
    .await;
    assert_eq!(status, 200, "the call is still theirs: {recorded}");
    assert_eq!(recorded["status"], "scheduled");
}
