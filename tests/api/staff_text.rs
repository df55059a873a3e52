//! Staff's own text (scripts, directory entries, emergency notes) goes through the payment-data
//! guard like customers' and clients' text, and what the guard refuses is never shown back.

use serde_json::json;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(staff_text_is_refused_when_it_carries_payment_data);
async fn staff_text_is_refused_when_it_carries_payment_data(app: TestApp) {
    let card = "Pay by card 4111 1111 1111 1111";
    let supervisor = app.login_as("supervisor", None).await;
    let script = format!(
        "{{% block no_payment %}}I will not take a payment today.{{% endblock no_payment %}}{card}"
    );
    let refused = supervisor
        .post_form(
            "/supervisor/scripts",
            &[("body", &script), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap().contains("card number"));
    let admin = app.login_as("admin", None).await;
    let refused = admin
        .post_form(
            "/admin/emergency-contacts",
            &[
                ("region", "wales"),
                ("service", "Police"),
                ("phone", "101"),
                ("note", card),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let stored: (i64, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::{emergency_contacts, script_versions};
        (
            emergency_contacts::table
                .filter(emergency_contacts::note.like("%4111%"))
                .count()
                .get_result(conn)
                .unwrap(),
            script_versions::table
                .filter(script_versions::body.like("%4111%"))
                .count()
                .get_result(conn)
                .unwrap(),
        )
    });
    assert_eq!(stored, (0, 0), "never stored");
}

backend_test!(a_card_number_in_the_wrong_field_is_not_echoed_back);
async fn a_card_number_in_the_wrong_field_is_not_echoed_back(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Echo Water"));
    refer(&app, &key, referral("E-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(&app, &token).await;
    // A number field sent as text: the JSON parser's explanation quotes the value.
    let sent = |value: &str| json!({"outcome": "no_answer", "script_version_id": value});
    let (status, body) = outcome(
        &app,
        &token,
        &call["case"]["id"],
        sent("4111 1111 1111 1111"),
    )
    .await;
    assert_eq!(status, 422);
    let text = body.to_string();
    assert!(!crate::helpers::shows_test_card(&text), "{text}");
    assert!(text.contains("card number"), "{text}");
    let (status, body) = outcome(&app, &token, &call["case"]["id"], sent("seven")).await;
    assert_eq!(status, 422);
    assert!(
        body["fields"]["script_version_id"][0]
            .as_str()
            .is_some_and(|m| m.contains("expected i64")),
        "the field of the wrong type is named: {body}"
    );
    assert!(
        body.to_string().contains("seven"),
        "other mistakes are still quoted: {body}"
    );
}

backend_test!(staff_forms_refusing_payment_data_do_not_show_it_back);
async fn staff_forms_refusing_payment_data_do_not_show_it_back(app: TestApp) {
    let card = "4111 1111 1111 1111";
    let supervisor = app.login_as("supervisor", None).await;
    let directory = supervisor
        .post_form(
            "/support",
            &[
                ("name", "Card Help"),
                ("website", &format!("cardhelp.example/{card}")),
                ("last_checked_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(directory.status().as_u16(), 422);
    let script = supervisor
        .post_form(
            "/supervisor/scripts",
            &[("body", &format!("Read me {card}")), ("action", "preview")],
        )
        .await;
    let admin = app.login_as("admin", None).await;
    let client = admin
        .post_form(
            "/admin/clients",
            &[
                ("name", "Card Water"),
                ("contact_email", "ops@card.example"),
                ("contact_phone", card),
            ],
        )
        .await;
    assert_eq!(client.status().as_u16(), 422);
    for (form, page) in [
        ("directory", directory.text().await.unwrap()),
        ("script preview", script.text().await.unwrap()),
        ("client", client.text().await.unwrap()),
    ] {
        assert!(
            !crate::helpers::shows_test_card(&page),
            "{form} shows the card number back"
        );
    }
}
