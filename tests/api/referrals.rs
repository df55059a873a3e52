use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::TestApp;

/// Tuesday 10 March 2026, 10:00 UTC (10:00 in London): inside contact hours.
pub fn tuesday_morning() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 10, 10, 0, 0).unwrap()
}

pub fn referral(reference: &str) -> Value {
    json!({
        "reference": reference,
        "name": "Ann Example",
        "email": "ann@example.org",
        "phone": "07700 900123",
        "region": "england",
        "amount_owed_minor": 125000,
        "currency": "GBP",
        "days_in_arrears": 45,
        "circumstances": "Lost job in the spring"
    })
}

pub async fn post(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.api()
        .post(app.url("/api/v1/referrals"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

backend_test!(a_referral_becomes_a_case_due_in_contact_hours);
async fn a_referral_becomes_a_case_due_in_contact_hours(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let client = app.create_client("Water Co");
    let key = app.client_api_key(client);
    let response = post(&app, &key, &referral("ACC-1")).await;
    assert_eq!(response.status().as_u16(), 201);
    let case: Value = response.json().await.unwrap();
    assert_eq!(case["reference"], "ACC-1");
    assert_eq!(case["status"], "queued");
    assert_eq!(case["next_contact_at"], "2026-03-10T10:00:00Z");
    assert_eq!(
        case["timezone"], "Europe/London",
        "defaulted from the region"
    );

    let fetched = app
        .api()
        .get(app.url(&format!("/api/v1/cases/{}", case["id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status().as_u16(), 200);
    let fetched: Value = fetched.json().await.unwrap();
    assert_eq!(fetched["id"], case["id"]);
}

backend_test!(a_referral_in_the_evening_is_scheduled_for_the_next_morning_in_its_zone);
async fn a_referral_in_the_evening_is_scheduled_for_the_next_morning_in_its_zone(app: TestApp) {
    // Tuesday 22:00 UTC: 17:00 in New York, still inside their hours; 22:00 in London is not.
    app.state
        .clock
        .pin(tuesday_morning() + chrono::Duration::hours(12));
    let key = app.client_api_key(app.create_client("Lender"));
    let mut ny = referral("NY-1");
    ny["region"] = json!("US");
    ny["timezone"] = json!("America/New_York");
    let ny: Value = post(&app, &key, &ny).await.json().await.unwrap();
    assert_eq!(ny["status"], "queued");
    let london: Value = post(&app, &key, &referral("LDN-1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(london["status"], "scheduled");
    assert_eq!(london["next_contact_at"], "2026-03-11T08:00:00Z");
}

backend_test!(resending_a_reference_returns_the_existing_case);
async fn resending_a_reference_returns_the_existing_case(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Council"));
    let first: Value = post(&app, &key, &referral("DUP-1"))
        .await
        .json()
        .await
        .unwrap();
    let again = post(&app, &key, &referral("DUP-1")).await;
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let count: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::cases::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(count, 1);
    let viewed: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.eq("case_viewed"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(
        viewed, 1,
        "answering with the existing case is a read of it, audited"
    );
}

backend_test!(a_batch_is_answered_item_by_item);
async fn a_batch_is_answered_item_by_item(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Batcher"));
    let mut bad = referral("B-2");
    bad["currency"] = json!("???");
    let body = json!([referral("B-1"), bad, referral("B-1")]);
    let response = post(&app, &key, &body).await;
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], 201);
    assert_eq!(results[1]["status"], 422);
    assert!(results[1]["error"]["fields"]["currency"].is_array());
    assert_eq!(
        results[2]["status"], 200,
        "the same reference again in one batch"
    );
    assert_eq!(results[2]["case"]["id"], results[0]["case"]["id"]);
}

backend_test!(a_client_never_sees_another_clients_case);
async fn a_client_never_sees_another_clients_case(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let mine = app.client_api_key(app.create_client("Mine"));
    let theirs = app.client_api_key(app.create_client("Theirs"));
    let case: Value = post(&app, &theirs, &referral("SECRET-1"))
        .await
        .json()
        .await
        .unwrap();
    let peek = app
        .api()
        .get(app.url(&format!("/api/v1/cases/{}", case["id"])))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status().as_u16(), 404);
    // Same reference from another client is a different case.
    let own = post(&app, &mine, &referral("SECRET-1")).await;
    assert_eq!(own.status().as_u16(), 201);
    // Handlers' tokens cannot refer customers.
    let (_, token) = app.staff_token("handler");
    assert_eq!(
        post(&app, &token, &referral("X")).await.status().as_u16(),
        403
    );
}

backend_test!(a_client_may_tighten_its_contact_policy_but_not_loosen_it);
async fn a_client_may_tighten_its_contact_policy_but_not_loosen_it(app: TestApp) {
    // Tuesday 09:30 London: inside the defaults, outside a 10:00 start.
    app.state
        .clock
        .pin(tuesday_morning() - chrono::Duration::minutes(30));
    let key = app.client_api_key(app.create_client("Careful Co"));
    let url = app.url("/api/v1/contact-policy");
    let looser = app.api().put(&url).bearer_auth(&key)
        .json(&json!({"latest": "21:00", "weekdays": ["mon", "sun"], "min_hours_between_attempts": 1}))
        .send().await.unwrap();
    assert_eq!(looser.status().as_u16(), 422);
    let body: Value = looser.json().await.unwrap();
    assert!(
        body["fields"]["latest"][0]
            .as_str()
            .unwrap()
            .contains("20:00"),
        "{body}"
    );
    assert!(body["fields"]["weekdays"].is_array());
    assert!(body["fields"]["min_hours_between_attempts"].is_array());

    let stricter = app
        .api()
        .put(&url)
        .bearer_auth(&key)
        .json(&json!({"earliest": "10:00", "max_attempts_24_hours": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(stricter.status().as_u16(), 200);
    let policy = app.get_json("/api/v1/contact-policy", &key).await;
    assert_eq!(policy["earliest"], "10:00");
    assert_eq!(policy["latest"], "20:00");
    let case: Value = post(&app, &key, &referral("LATE-START"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        case["next_contact_at"], "2026-03-10T10:00:00Z",
        "the stricter start applies"
    );
}

backend_test!(first_policies_saved_at_once_are_all_accepted);
// Two first saves at once (a deployment script run twice, two instances) both find no policy
// yet: each must be stored, the later winning, not one refused as a duplicate.
async fn first_policies_saved_at_once_are_all_accepted(app: TestApp) {
    let key = app.client_api_key(app.create_client("Twice Co"));
    let url = app.url("/api/v1/contact-policy");
    let saves = (0..8).map(|i| {
        app.api()
            .put(&url)
            .bearer_auth(&key)
            .json(&json!({"max_attempts_7_days": 6 - i % 2}))
            .send()
    });
    for answer in futures_util::future::join_all(saves).await {
        assert_eq!(answer.unwrap().status().as_u16(), 200);
    }
    let policy = app.get_json("/api/v1/contact-policy", &key).await;
    assert!(
        [5, 6].contains(&policy["max_attempts_7_days"].as_i64().unwrap()),
        "{policy}"
    );
}

backend_test!(a_stricter_rule_for_one_region_applies_to_its_customers_only);
async fn a_stricter_rule_for_one_region_applies_to_its_customers_only(app: TestApp) {
    // Tuesday 19:30 in New York (EDT): inside the defaults, past a 19:00 end.
    let evening = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 10, 23, 30, 0).unwrap();
    app.state.clock.pin(evening);
    let key = app.client_api_key(app.create_client("Coast to Coast"));
    let put = |region: &str, body: Value| {
        app.api()
            .put(app.url(&format!("/api/v1/contact-policy/regions/{region}")))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let unknown = put("atlantis", json!({"latest": "19:00"})).await.unwrap();
    assert_eq!(unknown.status().as_u16(), 422);
    let body: Value = unknown.json().await.unwrap();
    assert!(
        body["fields"]["region"][0]
            .as_str()
            .unwrap()
            .contains("US-FL"),
        "{body}"
    );
    let looser = put("US-FL", json!({"latest": "21:00"})).await.unwrap();
    assert_eq!(
        looser.status().as_u16(),
        422,
        "a region rule cannot loosen the defaults"
    );
    let saved = put(
        "us-fl",
        json!({"latest": "19:00", "max_attempts_24_hours": 2}),
    )
    .await
    .unwrap();
    assert_eq!(saved.status().as_u16(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["region"], "US-FL");
    assert_eq!(saved["latest"], "19:00");
    let listed = app.get_json("/api/v1/contact-policy/regions", &key).await;
    assert_eq!(listed["regions"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        app.get_json("/api/v1/contact-policy", &key).await["latest"],
        "20:00",
        "the general policy is unchanged"
    );

    let customer_in = |reference: &str, region: &str| {
        let mut body = referral(reference);
        body["region"] = json!(region);
        body["currency"] = json!("USD");
        body["timezone"] = json!("America/New_York");
        body
    };
    let florida: Value = post(&app, &key, &customer_in("FL-1", "US-FL"))
        .await
        .json()
        .await
        .unwrap();
    let georgia: Value = post(&app, &key, &customer_in("GA-1", "US-GA"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        florida["next_contact_at"], "2026-03-11T12:00:00Z",
        "08:00 tomorrow in Florida"
    );
    assert_eq!(
        georgia["next_contact_at"], "2026-03-10T23:30:00Z",
        "now in Georgia"
    );
    let (_, handler) = app.staff_token("handler");
    let (status, call) = crate::queue::next_call(&app, &handler).await;
    assert_eq!(status, 200);
    assert_eq!(call["case"]["id"], georgia["id"]);
    let (_, other) = app.staff_token("handler");
    assert_eq!(
        crate::queue::next_call(&app, &other).await.0,
        204,
        "Florida waits"
    );

    let delete = || {
        app.api()
            .delete(app.url("/api/v1/contact-policy/regions/US-FL"))
            .bearer_auth(&key)
            .send()
    };
    assert_eq!(delete().await.unwrap().status().as_u16(), 204);
    assert_eq!(delete().await.unwrap().status().as_u16(), 404);
    let again: Value = post(&app, &key, &customer_in("FL-2", "US-FL"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["next_contact_at"], "2026-03-10T23:30:00Z",
        "the rule is gone"
    );
}

backend_test!(a_customer_who_may_be_in_two_zones_is_called_when_both_allow_it);
async fn a_customer_who_may_be_in_two_zones_is_called_when_both_allow_it(app: TestApp) {
    // 10:00 in London is 06:00 in New York (EDT): too early there.
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Two Zones Co"));
    let mut body = referral("TZ-1");
    body["other_timezones"] = json!(["America/New_York"]);
    let response = post(&app, &key, &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let case: Value = response.json().await.unwrap();
    assert_eq!(case["timezone"], "Europe/London");
    assert_eq!(case["other_timezones"], json!(["America/New_York"]));
    assert_eq!(case["status"], "scheduled");
    assert_eq!(
        case["next_contact_at"], "2026-03-10T12:00:00Z",
        "08:00 in New York"
    );

    let mut bad = referral("TZ-2");
    bad["other_timezones"] = json!(["America/New_York", "Mars/Olympus"]);
    let response = post(&app, &key, &bad).await;
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["fields"]["other_timezones"][0]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus"),
        "{body}"
    );
}

backend_test!(days_in_arrears_count_back_from_the_uk_day);
// Half an hour after midnight in London in summer, UTC's date is still the day before: the
// arrears (which order the queue) start from the client's day.
async fn days_in_arrears_count_back_from_the_uk_day(app: TestApp) {
    let after_midnight = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 6, 9, 23, 30, 0);
    app.state.clock.pin(after_midnight.unwrap());
    let key = app.client_api_key(app.create_client("Night Co"));
    let case: Value = post(&app, &key, &referral("N-1"))
        .await
        .json()
        .await
        .unwrap();
    let since: chrono::NaiveDate = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases;
        let id = case["id"].as_i64().unwrap();
        let query = cases::table.find(id).select(cases::arrears_since);
        query.first(conn).unwrap()
    });
    assert_eq!(since.to_string(), "2026-04-26", "45 days before 10 June");
}
