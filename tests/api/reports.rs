//! Report figures on hand-made fixtures with known answers.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::backend_test;
use crate::helpers::TestApp;
use outreach::{audit::Actor, db::schema::*};

pub fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn refer(app: &TestApp, client_id: i64, reference: &str, when: &str) -> i64 {
    app.with_conn(|conn| {
        let referral = outreach::intake::referral::ReferralRequest {
            reference: reference.into(),
            name: "Fixture Person".into(),
            region: "england".into(),
            amount_owed_minor: Some(serde_json::json!(10_000)),
            currency: "GBP".into(),
            days_in_arrears: Some(serde_json::json!(30)),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let now = Utc.from_utc_datetime(&at(when));
        let mut intake = outreach::intake::Intake::for_client(conn, client_id).unwrap();
        intake
            .refer_batch(conn, Actor::System, vec![referral], now)
            .unwrap();
        outreach::cases::store::find_by_reference(conn, client_id, reference)
            .unwrap()
            .unwrap()
            .id
    })
}

fn attempt(app: &TestApp, case: i64, handler: i64, when: &str, conversation: bool) {
    app.with_conn(|conn| {
        diesel::insert_into(contact_attempts::table)
            .values((
                contact_attempts::case_id.eq(case),
                contact_attempts::handler_id.eq(handler),
                contact_attempts::attempted_at.eq(at(when)),
                contact_attempts::outcome.eq(if conversation {
                    "spoke_to_customer"
                } else {
                    "no_answer"
                }),
                contact_attempts::conversation.eq(conversation),
                contact_attempts::recorded_at.eq(at(when)),
            ))
            .execute(conn)
            .unwrap();
        if conversation {
            diesel::update(cases::table.find(case))
                .filter(cases::first_contact_at.is_null())
                .set(cases::first_contact_at.eq(at(when)))
                .execute(conn)
                .unwrap();
        }
    });
}

/// Client A's fixture (and one case of client B's that must never show up in A's figures).
pub fn fixture(app: &TestApp) -> (i64, i64) {
    let a = app.create_client("Report A");
    let b = app.create_client("Report B");
    let (email, _) = app.create_user("handler", None);
    let handler =
        app.with_conn(|conn| outreach::accounts::store::user_id_by_email(conn, &email).unwrap());
    let one = refer(app, a, "A-1", "2026-01-10 10:00");
    let two = refer(app, a, "A-2", "2026-01-31 23:30"); // still January in London (GMT)
    refer(app, a, "A-3", "2026-03-31 23:30"); // 00:30 on 1 April in London (BST): outside the range
    refer(app, a, "A-4", "2026-03-31 22:30"); // 23:30 on 31 March in London: inside
    let other = refer(app, b, "B-1", "2026-01-15 10:00");
    attempt(app, one, handler, "2026-01-11 10:00", false);
    attempt(app, one, handler, "2026-02-02 10:00", true);
    attempt(app, two, handler, "2026-02-01 09:30", true);
    attempt(app, other, handler, "2026-01-16 10:00", true);
    app.with_conn(|conn| {
        diesel::insert_into(plans::table)
            .values((
                plans::case_id.eq(one),
                plans::version.eq(1),
                plans::amount_minor.eq(1000),
                plans::currency.eq("GBP"),
                plans::frequency.eq("weekly"),
                plans::first_payment_on.eq(chrono::NaiveDate::from_ymd_opt(2026, 2, 9).unwrap()),
                plans::email.eq("a@example.org"),
                plans::status.eq("confirmed"),
                plans::created_by.eq(handler),
                plans::created_at.eq(at("2026-02-02 10:05")),
                plans::confirmed_at.eq(at("2026-02-05 12:00")),
            ))
            .execute(conn)
            .unwrap();
        diesel::update(cases::table.find(one))
            .set(cases::re_engaged_at.eq(at("2026-02-05 12:00")))
            .execute(conn)
            .unwrap();
        diesel::insert_into(vulnerabilities::table)
            .values((
                vulnerabilities::case_id.eq(two),
                vulnerabilities::drivers.eq("health"),
                vulnerabilities::consent.eq(true),
                vulnerabilities::recorded_by.eq(handler),
                vulnerabilities::recorded_at.eq(at("2026-02-01 09:40")),
            ))
            .execute(conn)
            .unwrap();
        diesel::insert_into(holds::table)
            .values((
                holds::case_id.eq(two),
                holds::kind.eq("dispute"),
                holds::starts_at.eq(at("2026-02-01 09:45")),
                holds::created_at.eq(at("2026-02-01 09:45")),
            ))
            .execute(conn)
            .unwrap();
        let org: i64 = support_organisations::table
            .select(support_organisations::id)
            .first(conn)
            .unwrap();
        diesel::insert_into(support_links::table)
            .values((
                support_links::code.eq("fixture1"),
                support_links::case_id.eq(one),
                support_links::organisation_id.eq(org),
                support_links::channel.eq("email"),
                support_links::created_at.eq(at("2026-02-02 10:06")),
                support_links::first_opened_at.eq(at("2026-02-03 08:00")),
                support_links::opens.eq(2),
            ))
            .execute(conn)
            .unwrap();
    });
    (a, b)
}

pub async fn report(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app
        .api()
        .get(app.url(&format!("/api/v1/reports/re-engagement?{query}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

pub fn check(measures: &Value, expected: &[(&str, Value)]) {
    for (name, value) in expected {
        assert_eq!(&measures[name], value, "{name} in {measures}");
    }
}

backend_test!(monthly_figures_are_exact_including_empty_months_and_uk_month_ends);
async fn monthly_figures_are_exact_including_empty_months_and_uk_month_ends(app: TestApp) {
    let (a, _) = fixture(&app);
    let key = app.client_api_key(a);
    let r = report(&app, &key, "from=2026-01-01&to=2026-03-31&group_by=month").await;
    let periods = r["periods"].as_array().unwrap();
    assert_eq!(
        periods
            .iter()
            .map(|p| p["label"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2026-01", "2026-02", "2026-03"]
    );
    check(
        &periods[0]["measures"],
        &[
            ("referred", 2.into()),
            ("attempted", 1.into()),
            ("contacted", 0.into()),
            ("re_engaged", 0.into()),
            ("contact_rate", 0.0.into()),
            ("re_engagement_rate", Value::Null),
            ("median_hours_to_first_contact", Value::Null),
        ],
    );
    check(
        &periods[1]["measures"],
        &[
            ("referred", 0.into()),
            // Case 1 was first tried in January: only case 2 is newly attempted in February.
            ("attempted", 1.into()),
            ("contacted", 2.into()),
            ("plans_proposed", 1.into()),
            ("plans_confirmed", 1.into()),
            ("re_engaged", 1.into()),
            ("re_engagement_rate", 0.5.into()),
            ("contact_rate", Value::Null),
            ("median_hours_to_first_contact", 281.0.into()),
            ("support_links_sent", 1.into()),
            ("support_links_opened", 1.into()),
            ("vulnerable_identified", 1.into()),
            ("holds", 1.into()),
        ],
    );
    check(
        &periods[2]["measures"],
        &[
            ("referred", 1.into()),
            ("attempted", 0.into()),
            ("contacted", 0.into()),
        ],
    );
    check(
        &r["totals"],
        &[
            ("referred", 3.into()),
            ("attempted", 2.into()),
            ("contacted", 2.into()),
            ("plans_proposed", 1.into()),
            ("plans_confirmed", 1.into()),
            ("re_engaged", 1.into()),
            ("re_engagement_rate", 0.5.into()),
            ("contact_rate", 0.6667.into()),
            ("median_hours_to_first_contact", 281.0.into()),
            ("support_links_sent", 1.into()),
            ("support_links_opened", 1.into()),
            ("vulnerable_identified", 1.into()),
            ("holds", 1.into()),
        ],
    );
    assert_eq!(r["timezone"], "Europe/London");
}

backend_test!(cohorts_follow_each_months_referrals_across_period_boundaries);
async fn cohorts_follow_each_months_referrals_across_period_boundaries(app: TestApp) {
    let (a, _) = fixture(&app);
    let key = app.client_api_key(a);
    let r = report(&app, &key, "from=2026-01-01&to=2026-03-31&group_by=cohort").await;
    let periods = r["periods"].as_array().unwrap();
    check(
        &periods[0]["measures"],
        &[
            ("referred", 2.into()),
            ("attempted", 2.into()),
            ("contacted", 2.into()),
            ("plans_proposed", 1.into()),
            ("plans_confirmed", 1.into()),
            ("re_engaged", 1.into()),
            ("re_engagement_rate", 0.5.into()),
            ("contact_rate", 1.0.into()),
            ("median_hours_to_first_contact", 281.0.into()),
            ("vulnerable_identified", 1.into()),
            ("holds", 1.into()),
            ("support_links_sent", 1.into()),
            ("support_links_opened", 1.into()),
        ],
    );
    check(
        &periods[1]["measures"],
        &[("referred", 0.into()), ("contacted", 0.into())],
    );
    check(
        &periods[2]["measures"],
        &[("referred", 1.into()), ("attempted", 0.into())],
    );
    // Cut the range at January's end: February's conversations have not happened yet.
    let early = report(&app, &key, "from=2026-01-01&to=2026-01-31&group_by=cohort").await;
    check(
        &early["periods"][0]["measures"],
        &[
            ("referred", 2.into()),
            ("attempted", 1.into()),
            ("contacted", 0.into()),
            ("re_engaged", 0.into()),
        ],
    );
}

backend_test!(a_cohort_counts_customers_nobody_has_called_yet_and_their_holds);
async fn a_cohort_counts_customers_nobody_has_called_yet_and_their_holds(app: TestApp) {
    // On PostgreSQL these cases have no milestone row (migration 21): they still count.
    let client = app.create_client("Quiet Utility");
    let held = refer(&app, client, "Q-1", "2026-01-05 10:00");
    refer(&app, client, "Q-2", "2026-01-06 10:00");
    app.with_conn(|conn| {
        diesel::insert_into(holds::table)
            .values((
                holds::case_id.eq(held),
                holds::kind.eq("breathing_space"),
                holds::starts_at.eq(at("2026-01-07 09:00")),
                holds::created_at.eq(at("2026-01-07 09:00")),
            ))
            .execute(conn)
            .unwrap();
    });
    let key = app.client_api_key(client);
    let r = report(&app, &key, "from=2026-01-01&to=2026-01-31&group_by=cohort").await;
    check(
        &r["periods"][0]["measures"],
        &[
            ("referred", 2.into()),
            ("attempted", 0.into()),
            ("contacted", 0.into()),
            ("holds", 1.into()),
            ("support_links_sent", 0.into()),
        ],
    );
}

backend_test!(weekly_figures_split_at_mondays);
async fn weekly_figures_split_at_mondays(app: TestApp) {
    let (a, _) = fixture(&app);
    let key = app.client_api_key(a);
    let r = report(&app, &key, "from=2026-01-26&to=2026-02-08&group_by=week").await;
    let periods = r["periods"].as_array().unwrap();
    assert_eq!(
        periods
            .iter()
            .map(|p| p["label"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2026-W05", "2026-W06"]
    );
    check(
        &periods[0]["measures"],
        &[("referred", 1.into()), ("contacted", 1.into())],
    );
    check(
        &periods[1]["measures"],
        &[("contacted", 1.into()), ("re_engaged", 1.into())],
    );
}

backend_test!(no_client_can_read_another_clients_figures);
async fn no_client_can_read_another_clients_figures(app: TestApp) {
    let (a, b) = fixture(&app);
    let b_key = app.client_api_key(b);
    let r = report(&app, &b_key, "from=2026-01-01&to=2026-03-31&group_by=month").await;
    check(
        &r["totals"],
        &[
            ("referred", 1.into()),
            ("contacted", 1.into()),
            ("support_links_sent", 0.into()),
            ("holds", 0.into()),
        ],
    );
    let user_a = app.login_as("client", Some(a)).await;
    let (status, csv) = user_a
        .get_text("/portal/reports/export.csv?from=2026-01-01&to=2026-03-31&group_by=month")
        .await;
    assert_eq!(status, 200);
    let total_row = csv.lines().last().unwrap();
    assert!(
        total_row.starts_with("total,,,3,2,2,1,1,1,0.5,"),
        "{total_row}"
    );
    let (_, page) = user_a
        .get_text("/portal/reports?from=2026-01-01&to=2026-03-31")
        .await;
    assert!(page.contains("Report A") && !page.contains("Report B"));
    assert!(page.contains("<svg"), "a server-rendered chart");
    // Client B's one customer was contacted and has not re-engaged: a rate of 0 %, shown as
    // such (it was shown as "—", as if nobody had been contacted).
    assert_eq!(r["totals"]["re_engaged"], 0, "{r}");
    let user_b = app.login_as("client", Some(b)).await;
    let (_, page_b) = user_b
        .get_text("/portal/reports?from=2026-01-01&to=2026-03-31")
        .await;
    assert!(page_b.contains("0 (0% of those contacted)"), "{page_b}");
    for path in [
        format!("/supervisor/reports?client_id={b}"),
        "/supervisor/reports".to_string(),
    ] {
        assert_eq!(user_a.get(&path).await.status().as_u16(), 403, "{path}");
    }
    let (_, token) = app.staff_token("handler");
    let staff = app
        .api()
        .get(app.url("/api/v1/reports/re-engagement"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        staff.status().as_u16(),
        403,
        "personal tokens do not read client reports"
    );
    let bad = app
        .api()
        .get(app.url("/api/v1/reports/re-engagement?from=2026-02-01&to=2026-01-01&group_by=year"))
        .bearer_auth(&b_key)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let body: Value = bad.json().await.unwrap();
    assert!(body["fields"]["group_by"].is_array());
    // The range's end is the midnight after its last day: 31 December 9999 has none to read.
    let far = app
        .api()
        .get(app.url("/api/v1/reports/re-engagement?from=9999-12-01&to=9999-12-31"))
        .bearer_auth(&b_key)
        .send()
        .await
        .unwrap();
    assert_eq!(far.status().as_u16(), 422);
    let body: Value = far.json().await.unwrap();
    assert!(body["fields"]["to"].is_array(), "{body}");
    let supervisor = app.login_as("supervisor", None).await;
    let (status, page) = supervisor
        .get_text("/supervisor/reports?from=2026-01-01&to=2026-03-31")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("By handler"));
    assert!(
        page.contains("<td id=\"m-referred\">4</td>"),
        "all clients: 3 + 1"
    );
}
