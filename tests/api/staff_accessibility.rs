//! The pages staff work in all day, checked by axe-core (WCAG 2.2 AA) in a real browser: the
//! call screen, a form refused there, the password page, the supervisor's overview and a report
//! whose filter has a mistake.

use crate::browser::axe_violations;
use crate::helpers::{browser::Browser, spawn_app, Backend, TestApp};
use crate::referrals::{referral, tuesday_morning};

/// Signs a new user of `role` in, ending on their start page (`home`).
async fn sign_in(
    browser: &Browser,
    app: &TestApp,
    (role, client_id): (&str, Option<i64>),
    home: &str,
) {
    let (email, password) = app.create_user(role, client_id);
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", &password).await;
    browser.click("#sign-in").await;
    assert!(browser.wait_for_url(home).await.contains(home));
}

async fn sign_out(browser: &Browser) {
    browser.click("header form button").await;
    browser.wait_for_url("/login").await;
}

/// No violations on the page the browser shows now.
async fn accessible(browser: &Browser, page: &str) {
    if let Some(violations) = axe_violations(browser).await {
        assert_eq!(
            violations,
            serde_json::json!([]),
            "WCAG 2.2 AA violations on {page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_staff_work_in_pass_an_accessibility_check() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    app.state.clock.pin(tuesday_morning());
    let client = app.create_client("Access Water");
    let key = app.client_api_key(client);
    crate::queue::refer(&app, &key, referral("AX-1")).await;

    sign_in(&browser, &app, ("handler", None), "/queue").await;
    browser.goto(&app.url("/queue")).await;
    accessible(&browser, "the queue").await;
    browser.click("#next-call").await;
    browser.wait_for_url("/calls/").await;
    accessible(&browser, "the call screen").await;
    // A refused outcome (a callback with no time): the screen again with its messages.
    browser
        .execute("document.getElementById('outcome').value = 'callback_requested'; return true;")
        .await;
    browser.click("#record-outcome").await;
    browser.wait_for_url("/outcome").await;
    assert!(browser.text(".error-summary").await.contains("problem"));
    accessible(&browser, "the call screen with a refused form").await;
    browser.goto(&app.url("/account/password")).await;
    accessible(&browser, "the password page").await;
    sign_out(&browser).await;

    sign_in(&browser, &app, ("supervisor", None), "/supervisor").await;
    browser.goto(&app.url("/supervisor")).await;
    accessible(&browser, "the supervisor's overview").await;
    sign_out(&browser).await;

    sign_in(&browser, &app, ("client", Some(client)), "/portal").await;
    browser
        .goto(&app.url("/portal/reports?from=2026-03-31&to=2026-03-01"))
        .await;
    assert!(browser.text(".error-summary").await.contains("problem"));
    accessible(&browser, "a report whose filter has a mistake").await;
    browser.quit().await;
}
