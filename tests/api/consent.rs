//! A vulnerability record shows who consented, when, how and what they were told, and who
//! recorded it (health is special-category data).

use crate::backend_test;
use crate::helpers::{session::location, TestApp};
use crate::queue::refer;
use crate::referrals::{referral, tuesday_morning};

backend_test!(the_call_page_shows_who_consented_how_and_who_recorded_it);
async fn the_call_page_shows_who_consented_how_and_who_recorded_it(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Consent Co"));
    let case = refer(&app, &key, referral("C-1")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let record = format!("{call_page}/vulnerability");
    let with = |who: &'static str| {
        [
            ("health", "yes"),
            ("consent", "yes"),
            ("consent_how", "Verbal, told it helps us take care"),
            ("consented_by", who),
        ]
    };
    let refused = handler
        .post_form(&record, &with("Sam, card 4111 1111 1111 1111"))
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    // The form comes back as typed, except the text with the card number in it.
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"value="Verbal, told it helps us take care""#));
    assert!(html.contains(r#"name="health" value="yes" checked"#));
    assert!(
        !crate::helpers::shows_test_card(&html),
        "payment data is never shown back"
    );
    assert_eq!(
        location(&handler.post_form(&record, &with("")).await),
        call_page
    );
    let by_attorney = handler
        .post_form(&record, &with("Sam Example, power of attorney"))
        .await;
    assert_eq!(location(&by_attorney), call_page);
    let (_, page) = handler.get_text(&call_page).await;
    for shown in [
        "Consent given by Sam Example, power of attorney: Verbal, told it helps us take care.",
        "Consent given by the customer: Verbal, told it helps us take care.",
        "Recorded by Test Person.",
    ] {
        assert!(page.contains(shown), "{shown}");
    }
    assert!(
        !crate::helpers::shows_test_card(&page),
        "the refused text was not kept"
    );
}

backend_test!(a_customer_who_withdraws_consent_has_the_record_deleted);
async fn a_customer_who_withdraws_consent_has_the_record_deleted(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Withdrawn Co"));
    let case = refer(&app, &key, referral("C-2")).await;
    let (handler, call_page) = app.new_handler_on_call(&case).await;
    let recorded = handler
        .post_form(
            &format!("{call_page}/vulnerability"),
            &[
                ("health", "yes"),
                ("consent", "yes"),
                ("consent_how", "Verbal, told it helps us take care"),
                ("note", "Recovering from an operation"),
            ],
        )
        .await;
    assert_eq!(location(&recorded), call_page);
    let (_, page) = handler.get_text(&call_page).await;
    assert!(page.contains("Recovering from an operation"));
    let withdraw = page
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|action| action.ends_with("/withdraw"))
        .expect("a way to delete the record when consent is withdrawn")
        .to_string();
    for _ in 0..2 {
        // Twice, as a double click sends it: the second finds it gone.
        let withdrawn = handler.post_form(&withdraw, &[]).await;
        assert_eq!(location(&withdrawn), call_page);
    }
    let (_, page) = handler.get_text(&call_page).await;
    assert!(!page.contains("Recovering from an operation"), "{page}");
    assert!(
        !page.contains("id=\"vulnerable-flag\""),
        "no longer flagged: {page}"
    );
    let export = app
        .get_json(&format!("/api/v1/cases/{}/export", case["id"]), &key)
        .await;
    assert_eq!(export["vulnerabilities"], serde_json::json!([]), "{export}");
    let case_id = case["id"].as_i64().unwrap();
    assert_eq!(
        app.audit_count("vulnerability_consent_withdrawn", case_id),
        1
    );
}
