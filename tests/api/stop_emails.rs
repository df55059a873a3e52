//! "Stop e-mails" from the mail program's own button (RFC 8058 one-click), beside the link in
//! every message.

use serde_json::json;

use crate::helpers::Backend;
use crate::plans::{case_with_plan, drain, spawn_with_mail};

async fn a_mail_programs_unsubscribe_button_stops_emails(backend: Backend) {
    let (app, sink) = spawn_with_mail(backend).await;
    let (token, case_id, _) = case_with_plan(&app).await;
    assert_eq!(drain(&app).await, 1);
    let raw = sink.received()[0].data.clone();
    let header = |name: &str| {
        raw.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} header in {raw}"))
            .to_string()
    };
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let one_click = header("List-Unsubscribe");
    let one_click = one_click
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .expect("a URL in angle brackets");
    assert!(
        one_click.starts_with(&app.url("/unsubscribe/")) && one_click.ends_with("/one-click"),
        "{one_click}"
    );
    // As a mail program posts it: no cookie, no form token.
    let press = |body: &'static str| {
        app.api()
            .post(one_click)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(press("").await.unwrap().status().as_u16(), 400);
    let forged = one_click.replacen("/unsubscribe/", "/unsubscribe/9", 1);
    let forged = app
        .api()
        .post(&forged)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 404);
    let pressed = press("List-Unsubscribe=One-Click").await.unwrap();
    assert_eq!(pressed.status().as_u16(), 200);
    let again = app
        .api()
        .post(app.url(&format!("/api/v1/cases/{case_id}/plans")))
        .bearer_auth(&token)
        .json(&json!({"amount_minor": 1000, "currency": "GBP", "frequency": "monthly", "first_payment_on": "2026-03-20", "email": "ann@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 201);
    drain(&app).await;
    assert_eq!(sink.received().len(), 1, "nothing more was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_programs_unsubscribe_button_stops_emails_sqlite() {
    a_mail_programs_unsubscribe_button_stops_emails(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_programs_unsubscribe_button_stops_emails_postgres() {
    if crate::helpers::postgres::available() {
        a_mail_programs_unsubscribe_button_stops_emails(Backend::Postgres).await;
    }
}
