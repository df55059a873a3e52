use crate::helpers::{browser::Browser, spawn_app, Backend};

/// A person signs in through the real login page in headless Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let (email, password) = app.create_user("admin", None);

    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", "wrong password").await;
    browser.click("#sign-in").await;
    assert!(browser.text("#login-error").await.contains("do not match"));

    browser.fill("#email", &email).await;
    browser.fill("#password", &password).await;
    browser.click("#sign-in").await;
    let url = browser.wait_for_url("/admin/users").await;
    assert!(
        url.ends_with("/admin/users"),
        "signed in and sent to the users page, not {url}: {}",
        browser.text("main").await
    );
    assert!(browser.text("main").await.contains(&email));
    browser.quit().await;
}
