//! Claims whose lease runs out: the claim ends, and the customer is not rung again inside the
//! gap between calls (the handler may have called before their browser closed).

use chrono::Duration;
use serde_json::json;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(an_expired_lease_ends_the_claim_and_the_next_call_waits_out_the_gap);
async fn an_expired_lease_ends_the_claim_and_the_next_call_waits_out_the_gap(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Lease Co"));
    refer(&app, &key, referral("L-1")).await;
    let (_, a) = app.staff_token("handler");
    let (_, b) = app.staff_token("handler");
    let (_, first) = next_call(&app, &a).await;
    assert_eq!(next_call(&app, &b).await.0, 204);
    // The first handler's browser closed mid-call: the lease runs out with no outcome. They may
    // have rung the customer, so nobody else may ring again inside the 4-hour gap.
    let lapsed = tuesday_morning() + Duration::minutes(16);
    app.state.clock.pin(lapsed);
    assert_eq!(next_call(&app, &b).await.0, 204);
    let (status, _) = outcome(
        &app,
        &a,
        &first["case"]["id"],
        json!({"outcome": "no_answer"}),
    )
    .await;
    assert_eq!(status, 409, "the first handler's claim ran out");
    let id = first["case"]["id"].as_i64().unwrap();
    let case = app.with_conn(|conn| outreach::cases::store::find(conn, id).unwrap());
    assert_eq!(case.status, "scheduled");
    assert_eq!(case.claimed_by, None);
    assert_eq!(
        case.next_contact_at,
        Some((tuesday_morning() + Duration::hours(4)).naive_utc())
    );
    assert_eq!(app.audit_count("claim_lapsed", id), 1);
    // Once the gap has passed, the case is anyone's again.
    app.state.clock.pin(tuesday_morning() + Duration::hours(4));
    let (status, second) = next_call(&app, &b).await;
    assert_eq!(status, 200);
    assert_eq!(second["case"]["id"], first["case"]["id"]);
}

backend_test!(a_handler_whose_lease_ran_out_claims_again_before_the_queue_catches_up);
async fn a_handler_whose_lease_ran_out_claims_again_before_the_queue_catches_up(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Lapse Co"));
    refer(&app, &key, referral("LR-1")).await;
    refer(&app, &key, referral("LR-2")).await;
    let (handler, token) = app.staff_token("handler");
    let (status, first) = next_call(&app, &token).await;
    assert_eq!(status, 200);
    // The lease ran out and the periodic promotion has not yet put the case back: the old claim
    // is still marked, but the handler must get a call, not an error.
    let later = tuesday_morning() + Duration::minutes(16);
    let claim = app.with_conn(|conn| {
        outreach::queue::claim_next(
            conn,
            &app.state.reference,
            outreach::audit::Actor::User(handler),
            handler,
            later,
            Duration::minutes(15),
            false,
        )
        .unwrap()
    });
    let outreach::queue::Claim::Claimed(now_held) = claim else {
        panic!("{claim:?}")
    };
    assert_ne!(
        Some(now_held.case.id),
        first["case"]["id"].as_i64(),
        "the lapsed case waits out the gap; the handler gets the other"
    );
    let held: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .filter(status.eq("claimed"))
            .filter(claimed_by.eq(handler))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(held, 1, "one case held, the lapsed claim released");
}

backend_test!(a_plan_confirmed_on_a_call_that_lapsed_closes_the_case_as_re_engaged);
async fn a_plan_confirmed_on_a_call_that_lapsed_closes_the_case_as_re_engaged(app: TestApp) {
    let (_, case_id, _) = crate::helpers::plans::case_with_plan(&app).await;
    let link = crate::helpers::plans::only_plan_link_token(&app);
    app.anonymous()
        .post_form(&format!("/p/{link}/confirm"), &[])
        .await;
    // The handler never records the outcome; when the lease runs out there is nothing more to
    // call about.
    app.state
        .clock
        .pin(tuesday_morning() + Duration::minutes(16));
    let (_, other) = app.staff_token("handler");
    assert_eq!(next_call(&app, &other).await.0, 204);
    assert_eq!(
        crate::helpers::plans::case_state(&app, &case_id),
        ("closed".into(), Some("re_engaged".into()))
    );
}

backend_test!(what_a_handler_records_on_a_call_marks_when_the_customer_may_last_have_been_called);
async fn what_a_handler_records_on_a_call_marks_when_the_customer_may_last_have_been_called(
    app: TestApp,
) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Seen Co"));
    refer(&app, &key, referral("S-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    let id = call["case"]["id"].as_i64().unwrap();
    // Ten minutes in, the handler proposes a plan; then their browser closes.
    app.state
        .clock
        .pin(tuesday_morning() + Duration::minutes(10));
    let plan = app
        .api()
        .post(app.url(&format!("/api/v1/cases/{id}/plans")))
        .bearer_auth(&token)
        .json(&json!({"amount_minor": 500, "currency": "GBP", "frequency": "weekly", "first_payment_on": "2026-03-16", "email": "s@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(plan.status().as_u16(), 201);
    app.state
        .clock
        .pin(tuesday_morning() + Duration::minutes(30));
    let (_, other) = app.staff_token("handler");
    assert_eq!(next_call(&app, &other).await.0, 204);
    let case = app.with_conn(|conn| outreach::cases::store::find(conn, id).unwrap());
    assert_eq!(
        case.next_contact_at,
        Some((tuesday_morning() + Duration::minutes(10) + Duration::hours(4)).naive_utc()),
        "the gap runs from the plan, the last sign of the call"
    );
}

backend_test!(handlers_asking_at_once_are_answered_as_if_one_after_another);
async fn handlers_asking_at_once_are_answered_as_if_one_after_another(app: TestApp) {
    use outreach::queue::{Asking, Claim};
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Batch Co"));
    for (reference, days) in [("BA-1", 10), ("BA-2", 300), ("BA-3", 200), ("BA-4", 100)] {
        let mut body = referral(reference);
        body["days_in_arrears"] = days.into();
        refer(&app, &key, body).await;
    }
    let [(first, _), (second, _), (resting, _), (holding, holding_token)] =
        [(); 4].map(|_| app.staff_token("handler"));
    let (_, held) = next_call(&app, &holding_token).await;
    assert_eq!(
        held["case"]["reference"], "BA-2",
        "the longest in arrears first"
    );
    app.with_conn(|conn| {
        outreach::queue::breaks::start(conn, resting, tuesday_morning().naive_utc(), 15, "tea")
            .unwrap()
    });
    let asking = [first, resting, holding, second, first].map(|handler_id| Asking {
        actor: outreach::audit::Actor::User(handler_id),
        handler_id,
    });
    let answers = app.with_conn(|conn| {
        outreach::queue::claim_next_for_each(
            conn,
            &app.state.reference,
            &asking,
            tuesday_morning(),
            Duration::minutes(15),
            false,
        )
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
    });
    let claimed_reference = |claim: &Claim| match claim {
        Claim::Claimed(held) => held.case.reference.clone(),
        other => format!("{other:?}"),
    };
    let answered: Vec<String> = answers.iter().map(claimed_reference).collect();
    assert_eq!(
        answered[0], "BA-3",
        "first to ask, next in arrears: {answered:?}"
    );
    assert!(matches!(answers[1], Claim::OnBreak { .. }), "{answered:?}");
    assert_eq!(
        answered[2], "BA-2",
        "a handler on a call gets it back: {answered:?}"
    );
    assert_eq!(answered[3], "BA-4", "{answered:?}");
    assert_eq!(
        answered[4], "BA-3",
        "asking twice at once, one case: {answered:?}"
    );
    for case in ["BA-2", "BA-3", "BA-4"] {
        let id: i64 = app.with_conn(|conn| {
            use diesel::prelude::*;
            use outreach::db::schema::cases::dsl::*;
            cases
                .filter(reference.eq(case))
                .select(id)
                .first(conn)
                .unwrap()
        });
        assert_eq!(
            app.audit_count("case_claimed", id),
            1,
            "{case} claimed once"
        );
    }
}

backend_test!(calls_left_with_no_outcome_all_count_towards_the_weekly_limit);
// A case whose claims keep running out (each time, the customer may have been rung) is rung at
// most 7 times in 7 days, however many of those calls went unrecorded.
async fn calls_left_with_no_outcome_all_count_towards_the_weekly_limit(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Lapse Co"));
    let id = refer(&app, &key, referral("L-7")).await["id"]
        .as_i64()
        .unwrap();
    let (_, handler) = app.staff_token("handler");
    let (_, other) = app.staff_token("handler");
    let case = || app.with_conn(|conn| outreach::cases::store::find(conn, id).unwrap());
    let mut lapses = Vec::new();
    for _ in 0..7 {
        let due = chrono::DateTime::from_naive_utc_and_offset(
            case().next_contact_at.unwrap(),
            chrono::Utc,
        );
        app.state.clock.pin(due);
        let (status, call) = next_call(&app, &handler).await;
        assert_eq!((status, call["case"]["id"].as_i64()), (200, Some(id)));
        lapses.push(due);
        // The lease runs out with no outcome; the next handler asking settles it.
        app.state.clock.pin(due + Duration::minutes(16));
        assert_eq!(next_call(&app, &other).await.0, 204);
        assert_eq!(case().status, "scheduled");
    }
    assert_eq!(app.audit_count("claim_lapsed", id), 7);
    let next = case().next_contact_at.unwrap();
    assert!(
        next >= (lapses[0] + Duration::days(7)).naive_utc(),
        "seven possible calls since {}: the eighth waits until the first is a week old, not {next}",
        lapses[0]
    );
}

backend_test!(a_case_claimed_after_its_hours_end_goes_back_to_the_next_morning);
/// Queued at five to eight in the evening, asked for at five past: the claim finds the customer's
/// hours over, so the case goes back on schedule for the morning and nobody is given it.
async fn a_case_claimed_after_its_hours_end_goes_back_to_the_next_morning(app: TestApp) {
    let evening = tuesday_morning() + Duration::hours(9) + Duration::minutes(55);
    app.state.clock.pin(evening);
    let key = app.client_api_key(app.create_client("Evening Co"));
    let case = refer(&app, &key, referral("EVE-1")).await;
    assert_eq!(case["status"], "queued", "{case}");
    app.state.clock.pin(evening + Duration::minutes(10));
    let (_, token) = app.staff_token("handler");
    assert_eq!(next_call(&app, &token).await.0, 204);
    let id = case["id"].as_i64().unwrap();
    let now = app.get_json(&format!("/api/v1/cases/{id}"), &key).await;
    assert_eq!(
        (&now["status"], &now["next_contact_at"]),
        (&json!("scheduled"), &json!("2026-03-11T08:00:00Z")),
        "{now}"
    );
    assert_eq!(app.audit_count("case_requeued", id), 1);
}
