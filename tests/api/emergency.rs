//! Emergency numbers: the ones admins keep and handlers are shown. UK numbers reach UK services
//! only, so a customer abroad gets their own country's numbers where they are on file, and the
//! handler is told to have them call their local emergency number.

use serde_json::{json, Value};

use crate::backend_test;
use crate::calls::post_json;
use crate::helpers::{session::location, TestApp};
use crate::queue::refer;
use crate::referrals::{referral, tuesday_morning};

async fn case_in(app: &TestApp, key: &str, reference: &str, region: &str, zone: &str) -> i64 {
    let mut body = referral(reference);
    body["region"] = json!(region);
    body["timezone"] = json!(zone);
    refer(app, key, body).await["id"].as_i64().unwrap()
}

async fn phones_on_risk_to_life(app: &TestApp, token: &str, case_id: i64) -> Vec<String> {
    let path = format!("/api/v1/cases/{case_id}/escalations");
    let (status, contacts) = post_json(app, token, &path, json!({"kind": "risk_to_life"})).await;
    assert_eq!(status, 201, "{contacts}");
    contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c: &Value| c["phone"].as_str().unwrap().to_string())
        .collect()
}

backend_test!(customers_abroad_get_their_own_country_s_numbers_never_the_uk_s);
async fn customers_abroad_get_their_own_country_s_numbers_never_the_uk_s(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Abroad Co"));
    let (_, token) = app.staff_token("handler");

    let england = case_in(&app, &key, "E-1", "england", "Europe/London").await;
    let phones = phones_on_risk_to_life(&app, &token, england).await;
    assert_eq!(
        phones.first().map(String::as_str),
        Some("999"),
        "{phones:?}"
    );

    let florida = case_in(&app, &key, "US-1", "US-FL", "America/New_York").await;
    let phones = phones_on_risk_to_life(&app, &token, florida).await;
    assert!(phones.contains(&"911".to_string()), "{phones:?}");
    assert!(!phones.contains(&"999".to_string()) && !phones.contains(&"101".to_string()));

    // Nothing on file for France: no numbers rather than UK ones, and the page says what to do.
    let france = case_in(&app, &key, "FR-1", "FR", "Europe/Paris").await;
    let handler = app.login_as("handler", None).await;
    let response = handler
        .post_form(&format!("/calls/{france}/risk-to-life"), &[("note", "")])
        .await;
    let numbers = location(&response);
    assert_eq!(numbers, format!("/calls/{france}/emergency"));
    let (status, page) = handler.get_text(&numbers).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"outside-uk\""), "{page}");
    assert!(page.contains("id=\"no-local-numbers\"") && !page.contains("<strong>999</strong>"));
    // The numbers are for whoever is with the customer: another handler learns nothing of the
    // case, not even that it exists.
    let other = app.login_as("handler", None).await;
    assert_eq!(other.get_text(&numbers).await.0, 404);

    // An admin adds France's number; the next customer there gets it.
    let admin = app.login_as("admin", None).await;
    let added = admin
        .post_form(
            "/admin/emergency-contacts",
            &[
                ("region", "fr"),
                ("service", "Emergency services"),
                ("phone", "112"),
            ],
        )
        .await;
    assert_eq!(location(&added), "/admin/emergency-contacts");
    let refused = admin
        .post_form(
            "/admin/emergency-contacts",
            &[
                ("region", "Atlantis"),
                ("service", "Nobody"),
                ("phone", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("must be uk, england, wales"), "{html}");
    assert!(html.contains(r#"value="Atlantis""#) && html.contains(r#"value="Nobody""#));
    // Every mistake at once, each against its own field.
    let refused = admin
        .post_form(
            "/admin/emergency-contacts",
            &[("region", "Atlantis"), ("service", "Police"), ("phone", "")],
        )
        .await;
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"id="region-error""#), "{html}");
    assert!(html.contains(r#"id="phone-error""#), "{html}");
    assert!(!html.contains(r#"id="service-error""#), "{html}");
    let lyon = case_in(&app, &key, "FR-2", "FR", "Europe/Paris").await;
    assert_eq!(phones_on_risk_to_life(&app, &token, lyon).await, ["112"]);

    // Taking it away leaves a trail that says which number went, and an unknown one is 404.
    let id: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::emergency_contacts as ec;
        ec::table
            .filter(ec::service.eq("Emergency services"))
            .filter(ec::phone.eq("112"))
            .select(ec::id)
            .first(conn)
            .unwrap()
    });
    let removed = admin
        .post_form(&format!("/admin/emergency-contacts/{id}/delete"), &[])
        .await;
    assert_eq!(location(&removed), "/admin/emergency-contacts");
    let trail: Vec<(String, Option<i64>, String)> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log as a;
        a::table
            .filter(a::entity.eq("emergency_contact"))
            .order(a::id)
            .select((a::action, a::entity_id, a::detail))
            .load(conn)
            .unwrap()
    });
    let said = "FR: Emergency services 112".to_string();
    assert_eq!(
        trail,
        [
            ("emergency_contact_added".into(), Some(id), said.clone()),
            ("emergency_contact_removed".into(), Some(id), said),
        ]
    );
    let unknown = admin
        .post_form(&format!("/admin/emergency-contacts/{id}/delete"), &[])
        .await;
    assert_eq!(unknown.status().as_u16(), 404);
}

backend_test!(admins_maintain_the_emergency_numbers_handlers_are_shown);
async fn admins_maintain_the_emergency_numbers_handlers_are_shown(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let admin = app.login_as("admin", None).await;
    let added = admin
        .post_form(
            "/admin/emergency-contacts",
            &[
                ("region", "wales"),
                ("service", "CALL Mental Health Listening Line"),
                ("phone", "0800 132 737"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(location(&added), "/admin/emergency-contacts");
    let handler = app.login_as("handler", None).await;
    assert_eq!(
        handler
            .get("/admin/emergency-contacts")
            .await
            .status()
            .as_u16(),
        403
    );
    let key = app.client_api_key(app.create_client("Welsh Water"));
    let mut wales = referral("CYM-1");
    wales["region"] = json!("wales");
    let case = refer(&app, &key, wales).await;
    let (_, token) = app.staff_token("handler");
    let (_, contacts) = post_json(
        &app,
        &token,
        &format!("/api/v1/cases/{}/escalations", case["id"]),
        json!({"kind": "risk_to_life"}),
    )
    .await;
    let services: Vec<&str> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert!(
        services.contains(&"CALL Mental Health Listening Line"),
        "{services:?}"
    );
}
