//! Plan e-mails in the outbox: only the plan still waiting for the customer is sent.

use serde_json::json;

use crate::helpers::plans::{case_with_plan, drain, with_smtp};
use crate::helpers::{app::spawn_with, Backend};
use outreach::mail::catcher::SmtpSink;

/// The handler corrects the plan on the call (version 2) before version 1's e-mail has gone:
/// the customer gets one "please confirm" e-mail, for the plan that stands, not two with the
/// older perhaps arriving last and its button leading to "no longer open".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_replaced_before_its_email_went_is_not_emailed() {
    let sink = SmtpSink::start();
    let app = spawn_with(Backend::Sqlite, with_smtp(sink.port)).await;
    let (token, case_id, _) = case_with_plan(&app).await;
    let corrected = json!({"amount_minor": 2500, "currency": "GBP", "frequency": "fortnightly",
        "first_payment_on": "2026-03-16", "email": "ann@example.org"});
    let path = format!("/api/v1/cases/{case_id}/plans");
    let (status, _) = crate::calls::post_json(&app, &token, &path, corrected).await;
    assert_eq!(status, 201);
    drain(&app).await;
    let mail = sink.received();
    assert_eq!(mail.len(), 1, "one e-mail");
    let text = outreach::mail::catcher::decoded_parts(&mail[0].data)
        .into_iter()
        .map(|(_, body)| body)
        .collect::<String>();
    assert!(text.contains("£25.00"), "the plan that stands: {text}");
    assert!(!text.contains("£12.50"), "{text}");
}
