//! A plan proposed on a call and the mail it sends: what the plan, link and e-mail tests share.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{app::spawn_with, Backend, TestApp};
use crate::queue::{next_call, refer};
use crate::referrals::{referral, tuesday_morning};
use outreach::mail::catcher::SmtpSink;

pub fn with_smtp(port: u16) -> impl FnOnce(&mut outreach::config::Config) {
    move |config| {
        config.smtp = Some(outreach::config::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            tls: outreach::config::SmtpTls::None,
        })
    }
}

pub async fn drain(app: &TestApp) -> usize {
    let transport =
        Arc::new(outreach::mail::transport::Transport::from_config(&app.state.config).unwrap());
    outreach::mail::worker::drain(app.state.clone(), transport)
        .await
        .unwrap()
}

/// A case claimed by a new handler, with a plan proposed: (handler token, case id, plan JSON).
pub async fn case_with_plan(app: &TestApp) -> (String, Value, Value) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Plan Water"));
    let (token, case_id, response) =
        plan_on_a_new_call(app, &key, "P-1", 1250, "ann@example.org").await;
    (token, case_id, response.json().await.unwrap())
}

/// `reference` referred, taken by a new handler, who proposes a weekly plan of `amount_minor`
/// pence to be e-mailed to `email` (accepted): (handler token, case id, the API's answer).
async fn plan_on_a_new_call(
    app: &TestApp,
    key: &str,
    reference: &str,
    amount_minor: i64,
    email: &str,
) -> (String, Value, reqwest::Response) {
    refer(app, key, referral(reference)).await;
    let (_, token) = app.staff_token("handler");
    let (_, call) = next_call(app, &token).await;
    let case_id = call["case"]["id"].clone();
    let plan = json!({"amount_minor": amount_minor, "currency": "GBP", "frequency": "weekly",
        "first_payment_on": "2026-03-16", "email": email});
    let response = propose_plan(app, &token, &case_id, &plan).await;
    assert_eq!(response.status().as_u16(), 201);
    (token, case_id, response)
}

/// `plan` proposed through the API by the handler holding `token` on the case's call.
pub async fn propose_plan(
    app: &TestApp,
    token: &str,
    case_id: &Value,
    plan: &Value,
) -> reqwest::Response {
    app.api()
        .post(app.url(&format!("/api/v1/cases/{case_id}/plans")))
        .bearer_auth(token)
        .json(plan)
        .send()
        .await
        .unwrap()
}

/// The link token of the (only) plan proposed, as the e-mail carries it.
pub fn only_plan_link_token(app: &TestApp) -> String {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::plan_links::dsl::*;
        let n: String = plan_links.select(nonce).first(conn).unwrap();
        outreach::plans::links::token_for(
            &app.state.config.session_key,
            outreach::plans::links::PURPOSE,
            &n,
        )
    })
}

/// The plan link in a received message.
pub fn plan_link(data: &str) -> String {
    let start = data.find("/p/").expect("a plan link");
    data[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect()
}

/// The "stop e-mails" path of the first message in the outbox, as a link made with `secret`
/// carries it.
pub fn stop_emails_path(app: &TestApp, secret: &[u8]) -> String {
    let (id, message_id): (i64, String) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::outbox::dsl::*;
        outbox
            .order(id)
            .select((id, message_id))
            .first(conn)
            .unwrap()
    });
    let token = outreach::plans::links::token_for(secret, "unsubscribe", &message_id);
    format!("/unsubscribe/{id}/{token}")
}

/// The customer follows the first message's "stop e-mails" link and confirms.
pub async fn customer_stops_emails(app: &TestApp) {
    let stop = stop_emails_path(app, &app.state.config.session_key);
    let done = app.anonymous().post_form(&stop, &[]).await;
    assert_eq!(done.status().as_u16(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("You will not get more e-mails"));
}

pub async fn spawn_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    (spawn_with(backend, with_smtp(sink.port)).await, sink)
}

/// A service whose relay runs `on_message` (given the service's state) on each message before it
/// answers that it took it, with 17 plan e-mails waiting, to c00@example.org … c16@example.org
/// in that order. A batch of 17 is shared out two messages to a sender, so the sender of c00's
/// message sends c01's next: what `on_message` does on c00's is in place before c01's goes.
pub async fn seventeen_plans_behind_a_slow_relay(
    backend: Backend,
    on_message: impl Fn(&outreach::mail::catcher::Received, &outreach::state::AppState)
        + Send
        + Sync
        + 'static,
) -> (TestApp, SmtpSink) {
    let service: Arc<std::sync::OnceLock<actix_web::web::Data<outreach::state::AppState>>> =
        Arc::default();
    let slot = service.clone();
    let sink = SmtpSink::start_with(move |received| {
        on_message(received, slot.get().expect("the service"));
    });
    let app = spawn_with(backend, with_smtp(sink.port)).await;
    let _ = service.set(app.state.clone());
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Seventeen Water"));
    for i in 0..17 {
        let (reference, email) = (format!("SEVENTEEN-{i}"), format!("c{i:02}@example.org"));
        plan_on_a_new_call(&app, &key, &reference, 1000, &email).await;
    }
    (app, sink)
}

/// The case's status and why it closed, if it did.
pub fn case_state(app: &TestApp, case_id: &Value) -> (String, Option<String>) {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .find(case_id.as_i64().unwrap())
            .select((status, closed_reason))
            .first(conn)
            .unwrap()
    })
}
