//! Report measures fed by call outcomes recorded through the API.

use serde_json::Value;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::reports::{check, report};

backend_test!(a_call_ending_vulnerable_and_escalated_counts_as_vulnerable_identified);
async fn a_call_ending_vulnerable_and_escalated_counts_as_vulnerable_identified(app: TestApp) {
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let client_id = app.create_client("Escalating Co");
    let key = app.client_api_key(client_id);
    crate::queue::refer(&app, &key, crate::referrals::referral("V-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = crate::queue::next_call(&app, &token).await;
    let (_, case) = crate::queue::outcome(
        &app,
        &token,
        &call["case"]["id"],
        serde_json::json!({"outcome": "vulnerable_escalated"}),
    )
    .await;
    assert!(case["status"].is_string(), "{case}");
    let r = report(&app, &key, "from=2026-03-01&to=2026-03-31&group_by=month").await;
    check(
        &r["periods"][0]["measures"],
        &[("contacted", 1.into()), ("vulnerable_identified", 1.into())],
    );
}

backend_test!(a_customer_back_in_touch_with_the_client_counts_as_re_engaged);
async fn a_customer_back_in_touch_with_the_client_counts_as_re_engaged(app: TestApp) {
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Reconnected Co"));
    crate::queue::refer(&app, &key, crate::referrals::referral("R-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = crate::queue::next_call(&app, &token).await;
    let (status, case) = crate::queue::outcome(
        &app,
        &token,
        &call["case"]["id"],
        serde_json::json!({"outcome": "re_engaged_with_client", "notes": "Rang the council yesterday"}),
    )
    .await;
    assert_eq!(
        (status, &case["status"]),
        (200, &Value::from("closed")),
        "{case}"
    );
    let r = report(&app, &key, "from=2026-03-01&to=2026-03-31&group_by=month").await;
    check(
        &r["periods"][0]["measures"],
        &[
            ("contacted", 1.into()),
            ("re_engaged", 1.into()),
            ("re_engagement_rate", 1.0.into()),
        ],
    );
    // Credited to the handler who spoke to them, on the supervisors' report.
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor
        .get_text("/supervisor/reports?from=2026-03-01&to=2026-03-31")
        .await;
    assert!(page.contains("<td class=\"re-engaged\">1</td>"), "{page}");
}

backend_test!(a_plan_confirmed_later_keeps_the_first_re_engagement_date);
async fn a_plan_confirmed_later_keeps_the_first_re_engagement_date(app: TestApp) {
    let (token, case_id, plan) = crate::helpers::plans::case_with_plan(&app).await;
    let (status, _) = crate::queue::outcome(
        &app,
        &token,
        &case_id,
        serde_json::json!({"outcome": "re_engaged_with_client"}),
    )
    .await;
    assert_eq!(status, 200);
    // The customer confirms the plan e-mailed on the call a month later.
    let later = crate::referrals::tuesday_morning() + chrono::Duration::days(30);
    let re_engaged_at = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases;
        let plan_id = plan["id"].as_i64().unwrap();
        outreach::plans::customer::confirm(conn, plan_id, later.naive_utc()).unwrap();
        cases::table
            .find(case_id.as_i64().unwrap())
            .select(cases::re_engaged_at)
            .first::<Option<chrono::NaiveDateTime>>(conn)
            .unwrap()
    });
    assert_eq!(
        re_engaged_at,
        Some(crate::referrals::tuesday_morning().naive_utc()),
        "March's figure, already reported, stays in March"
    );
}

backend_test!(the_default_range_ends_on_the_uk_day_not_the_utc_one);
async fn the_default_range_ends_on_the_uk_day_not_the_utc_one(app: TestApp) {
    use chrono::TimeZone;
    // 23:30 UTC on 9 June is 00:30 on 10 June in London: a referral now is 10 June's.
    let just_after_uk_midnight = chrono::Utc.with_ymd_and_hms(2026, 6, 9, 23, 30, 0).unwrap();
    app.state.clock.pin(just_after_uk_midnight);
    let key = app.client_api_key(app.create_client("Night Owl Co"));
    crate::queue::refer(&app, &key, crate::referrals::referral("N-1")).await;
    let r = report(&app, &key, "").await;
    assert_eq!(r["to"], "2026-06-10");
    check(&r["totals"], &[("referred", 1.into())]);
}

backend_test!(clients_see_their_calls_by_outcome);
async fn clients_see_their_calls_by_outcome(app: TestApp) {
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let ours = app.create_client("Outcome Co");
    let (key, other_key) = (
        app.client_api_key(ours),
        app.client_api_key(app.create_client("Elsewhere Co")),
    );
    let calls = [
        (&key, "O-1", "no_answer"),
        (&key, "O-2", "spoke_to_customer"),
        (&other_key, "E-1", "voicemail"),
    ];
    for (client_key, reference, ending) in calls {
        let case = crate::queue::refer(&app, client_key, crate::referrals::referral(reference));
        let case = case.await;
        let (_, token) = app.staff_token("handler");
        let (_, call) = crate::queue::next_call(&app, &token).await;
        assert_eq!(call["case"]["id"], case["id"]);
        let body = serde_json::json!({ "outcome": ending });
        let recorded = crate::queue::outcome(&app, &token, &case["id"], body).await;
        assert_eq!(recorded.0, 200);
    }
    let r = report(&app, &key, "from=2026-03-01&to=2026-03-31&group_by=month").await;
    let ours_only = serde_json::json!({"no_answer": 1, "spoke_to_customer": 1});
    assert_eq!(r["totals"]["calls_by_outcome"], ours_only, "{r}");
    assert_eq!(r["periods"][0]["measures"]["calls_by_outcome"], ours_only);
    let client = app.login_as("client", Some(ours)).await;
    let (_, page) = client
        .get_text("/portal/reports?from=2026-03-01&to=2026-03-31")
        .await;
    assert!(
        page.contains("<td>spoke to customer</td><td>1</td><td>50%</td>"),
        "{page}"
    );
    assert!(
        !page.contains("voicemail"),
        "another client's calls: {page}"
    );
}
