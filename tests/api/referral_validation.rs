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
        audit.iter().all(|d| !d.contains("4111")),
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
