//! Referrals with mistakes: every field named, payment data refused and never stored.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::TestApp;
use crate::referrals::{post, referral};

backend_test!(bad_referrals_name_every_field_and_payment_data_is_refused);
async fn bad_referrals_name_every_field_and_payment_data_is_refused(app: TestApp) {
    let key = app.client_api_key(app.create_client("Strict"));
    let mut bad = referral("");
    bad["email"] = json!("not-an-email");
    bad["region"] = json!("US");
    bad["amount_owed_minor"] = json!("twelve");
    bad["currency"] = json!("POUNDS");
    bad["notes"] = json!("Paid with card 4111 1111 1111 1111 last time");
    // Bank details have a phone number's shape: digits, spaces and dashes.
    bad["phone"] = json!("20-00-00 12345678");
    let response = post(&app, &key, &bad).await;
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "validation");
    for field in [
        "reference",
        "email",
        "timezone",
        "amount_owed_minor",
        "currency",
        "notes",
        "phone",
    ] {
        assert!(body["fields"][field].is_array(), "{field} named in {body}");
    }
    assert!(body["fields"]["phone"][0]
        .as_str()
        .unwrap()
        .contains("sort code"));
    assert!(body["fields"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("card number"));
    let stored: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::cases::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(stored, 0);
    let audit: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::audit_log::table
            .select(outreach::db::schema::audit_log::detail)
            .load(conn)
            .unwrap()
    });
    assert!(
        audit.iter().all(|d| !crate::helpers::shows_test_card(d)),
        "the card number is never stored"
    );
}

backend_test!(values_of_the_wrong_type_are_named_with_the_other_mistakes);
async fn values_of_the_wrong_type_are_named_with_the_other_mistakes(app: TestApp) {
    let key = app.client_api_key(app.create_client("Typed"));
    let mut bad = referral("T-1");
    bad["name"] = json!(42);
    bad["other_timezones"] = json!("Europe/Paris");
    bad["currency"] = json!("POUNDS");
    let response = post(&app, &key, &bad).await;
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["fields"]["name"][0], "must be text (a JSON string)",
        "{body}"
    );
    assert!(body["fields"]["other_timezones"][0]
        .as_str()
        .unwrap()
        .contains("list of time zone names"));
    assert!(
        body["fields"]["currency"].is_array(),
        "the other fields are still checked: {body}"
    );
    let mut nameless = referral("T-2");
    nameless["name"] = Value::Null;
    let response = post(&app, &key, &nameless).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["fields"]["name"][0], "is required (at most 200 characters)",
        "null is absent: {body}"
    );
    let response = post(&app, &key, &json!(["not a referral"])).await;
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["results"][0]["status"], 422, "{answer}");
    assert_eq!(
        answer["results"][0]["error"]["message"],
        "Each referral must be a JSON object."
    );
}

backend_test!(text_with_a_nul_is_refused_by_field_in_a_batch_and_in_a_file);
// PostgreSQL cannot store a NUL in text; SQLite would. Either way it is the field's mistake,
// named like any other, and the rest of a batch or file goes ahead.
async fn text_with_a_nul_is_refused_by_field_in_a_batch_and_in_a_file(app: TestApp) {
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let client_id = app.create_client("Binary Paste Co");
    let key = app.client_api_key(client_id);
    let mut bad = referral("NUL-2");
    bad["name"] = json!("Ann\u{0}Example");
    bad["notes"] = json!("copied from a terminal \u{1b}[0m");
    let response = post(
        &app,
        &key,
        &json!([referral("NUL-1"), bad, referral("NUL-3")]),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    let statuses: Vec<&Value> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [201, 422, 201]);
    let fields = &answer["results"][1]["error"]["fields"];
    for field in ["name", "notes"] {
        assert!(
            fields[field][0]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{field} in {fields}"
        );
    }

    let file = "reference,name,region,amount_owed_minor,currency,days_in_arrears,notes\n\
                F-1,Bea,england,100,GBP,3,\n\
                F-2,Cy,england,100,GBP,3,\"pasted\0here\"\n\
                F-3,Di,england,100,GBP,3,\n";
    let report = crate::csv_import::import_file(&app, client_id, file);
    assert_eq!((report.created, report.refused), (2, 1));
    assert_eq!(report.errors[0].line, 3);
    assert!(report.errors[0].reasons[0].starts_with("notes contains a control character"));
    assert_eq!(
        app.with_conn(|conn| crate::helpers::referred_count(conn, client_id)),
        4
    );
}

backend_test!(a_card_number_in_a_field_that_quotes_its_value_is_not_echoed);
// A zone name that is not one is quoted back to help the sender, unless it is payment data.
async fn a_card_number_in_a_field_that_quotes_its_value_is_not_echoed(app: TestApp) {
    let key = app.client_api_key(app.create_client("Wrong Column Co"));
    let mut bad = referral("ECHO-1");
    bad["other_timezones"] = json!(["Europe/Paris", "4111 1111 1111 1111"]);
    let response = post(&app, &key, &bad).await;
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("other_timezones"), "{body}");
    assert!(!crate::helpers::shows_test_card(&body), "{body}");
    let mut misspelt = referral("ECHO-2");
    misspelt["other_timezones"] = json!(["Europe/Pariss"]);
    let body = post(&app, &key, &misspelt).await.text().await.unwrap();
    assert!(
        body.contains("Europe/Pariss"),
        "an ordinary mistake is quoted: {body}"
    );
}

backend_test!(a_body_too_large_or_not_sent_as_json_gets_its_own_status);
// Integrators tell these apart by status: 413 (send less), 415 (say it is JSON), 422 (fix it).
async fn a_body_too_large_or_not_sent_as_json_gets_its_own_status(app: TestApp) {
    let key = app.client_api_key(app.create_client("Big Batch Co"));
    let send = |path: &str, content_type: &str, body: String| {
        app.api()
            .post(app.url(path))
            .bearer_auth(&key)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let huge = format!("[{}]", vec!["{\"notes\": \"padding\"}"; 500_000].join(","));
    let answer = send("/api/v1/referrals", "application/json", huge)
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 413);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    let answer = send(
        "/api/v1/referrals",
        "text/plain",
        referral("CT-1").to_string(),
    )
    .await
    .unwrap();
    assert_eq!(answer.status().as_u16(), 415);
    let answer = send("/api/v1/referrals", "application/json", "{nope".into())
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
}
