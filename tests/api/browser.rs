use crate::helpers::{app::spawn_with, browser::Browser, spawn_app, Backend, TestApp};

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

/// A handler's day in a real browser: sign in, take the next call, read the no-payment statement
/// first, record a callback, and see the case leave the queue until then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_takes_a_call_and_books_a_callback_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Browser Water"));
    crate::queue::refer(&app, &key, crate::referrals::referral("WEB-1")).await;
    take_the_next_call_as_a_new_handler(&browser, &app).await;
    let statement = browser.text("#no-payment").await;
    assert!(
        statement.starts_with("I'm not calling to take a payment"),
        "{statement}"
    );
    let first = browser
        .execute("const top = id => document.getElementById(id).getBoundingClientRect().top; return top('no-payment') < top('script') && top('no-payment') < top('outcome-form');")
        .await;
    assert_eq!(
        first,
        serde_json::json!(true),
        "the statement comes before the script and the form"
    );

    browser
        .click("#outcome option[value=callback_requested]")
        .await;
    browser
        .execute("document.getElementById('callback_at').value = '2026-03-11T18:30'; return true;")
        .await;
    browser.fill("#notes", "Asked us to ring after work").await;
    browser.click("#record-outcome").await;
    assert!(browser
        .wait_for_url("/queue?notice=recorded")
        .await
        .ends_with("notice=recorded"));
    assert!(browser.text("#notice").await.contains("Outcome recorded"));

    browser.click("#next-call").await;
    assert!(
        browser
            .wait_for_url("notice=empty")
            .await
            .ends_with("notice=empty"),
        "the case left the queue"
    );
    let (status, next_contact): (String, Option<chrono::NaiveDateTime>) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases.select((status, next_contact_at)).first(conn).unwrap()
    });
    assert_eq!(status, "scheduled");
    assert_eq!(
        next_contact.unwrap().to_string(),
        "2026-03-11 18:30:00",
        "18:30 London time in March is 18:30 UTC"
    );
    browser.quit().await;
}

/// Signs a new handler in and takes the next call, ending on its call screen.
async fn take_the_next_call_as_a_new_handler(browser: &Browser, app: &TestApp) {
    let (email, password) = app.create_user("handler", None);
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", &password).await;
    browser.click("#sign-in").await;
    assert!(browser.wait_for_url("/queue").await.ends_with("/queue"));
    browser.click("#next-call").await;
    let url = browser.wait_for_url("/calls/").await;
    assert!(url.contains("/calls/"), "on the call screen: {url}");
}

/// A call can outlast a lease: the open call page renews the handler's claim by itself, and
/// says so plainly once it can no longer be kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_call_page_keeps_the_handlers_claim_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    // The page renews every second here (a third of the lease, five minutes, in service).
    let app = spawn_with(Backend::Sqlite, |config| {
        config.call_renew_every = std::time::Duration::from_secs(1);
    })
    .await;
    let morning = crate::referrals::tuesday_morning();
    app.state.clock.pin(morning);
    let key = app.client_api_key(app.create_client("Long Calls Water"));
    crate::queue::refer(&app, &key, crate::referrals::referral("KEEP-1")).await;
    take_the_next_call_as_a_new_handler(&browser, &app).await;
    let claim_ends = || -> Option<chrono::DateTime<chrono::Utc>> {
        app.with_conn(|conn| {
            use diesel::prelude::*;
            use outreach::db::schema::cases::dsl::*;
            let at: Option<chrono::NaiveDateTime> =
                cases.select(claim_expires_at).first(conn).unwrap();
            at.map(|at| at.and_utc())
        })
    };
    assert_eq!(claim_ends(), Some(morning + chrono::Duration::minutes(15)));

    // Ten minutes into the call the page has renewed the claim for another fifteen.
    app.state.clock.pin(morning + chrono::Duration::minutes(10));
    let renewed = morning + chrono::Duration::minutes(25);
    for _ in 0..100 {
        if claim_ends() == Some(renewed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(claim_ends(), Some(renewed));
    let status = browser.wait_for_text("#lease-status", "kept until").await;
    assert!(status.contains("kept until"), "{status}");

    // Past the claim's end (the page was asleep, say) it cannot be kept, and the page says why.
    app.state.clock.pin(morning + chrono::Duration::minutes(40));
    let status = browser
        .wait_for_text("#lease-status", "no longer yours")
        .await;
    assert!(status.contains("no longer yours"), "{status}");
    browser.quit().await;
}

/// A handler who follows a link into Outreach from another site (a supervisor alert in webmail,
/// a chat message) keeps the forms already open: their call page's token still matches. The
/// form cookie was `SameSite=Strict`, left off such a navigation, so the service minted a new
/// one over it and the open call page's next renewal was refused as an expired form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arriving_from_another_site_keeps_the_open_forms_working_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Cross Site Water"));
    crate::queue::refer(&app, &key, crate::referrals::referral("SITE-1")).await;
    take_the_next_call_as_a_new_handler(&browser, &app).await;
    let call_page = browser.current_url().await;
    let token = browser
        .execute("return document.querySelector('#renew-form input[name=csrf_token]').value")
        .await;
    let token = token.as_str().unwrap().to_string();

    let elsewhere = format!(
        "data:text/html,<a id=\"outreach\" href=\"{}\">Open Outreach</a>",
        app.url("/queue")
    );
    browser.goto(&elsewhere).await;
    browser.click("#outreach").await;
    assert!(browser.wait_for_url("/queue").await.ends_with("/queue"));

    // What the call page, still open in its own tab, sends when it next renews the claim.
    let renewal = browser
        .execute_async(&format!(
            "const done = arguments[arguments.length - 1];
             fetch('{call_page}/renew', {{method: 'POST', credentials: 'same-origin',
                 headers: {{Accept: 'application/json'}},
                 body: new URLSearchParams({{csrf_token: '{token}'}})}})
               .then(r => done(r.status), () => done(0));"
        ))
        .await;
    assert_eq!(renewal, serde_json::json!(200));
    browser.quit().await;
}

/// A refused form takes its reader to the mistakes: the summary has the focus (a screen reader
/// reads it first), its link names the field by its label and goes to it, and the field is
/// marked invalid and described by its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_leads_to_its_mistakes_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Clear Errors Water"));
    crate::queue::refer(&app, &key, crate::referrals::referral("ERR-1")).await;
    take_the_next_call_as_a_new_handler(&browser, &app).await;
    browser.fill("#amount", "twelve").await;
    browser.click("#record-plan").await;
    browser
        .wait_for_text(".error-summary", "There is a problem")
        .await;
    let state = browser
        .execute(
            "const amount = document.getElementById('amount');
             const link = document.querySelector('.error-summary a');
             return {
               focused: document.activeElement.className,
               invalid: amount.getAttribute('aria-invalid'),
               described: amount.getAttribute('aria-describedby'),
               link: link.textContent,
               target: link.getAttribute('href'),
             };",
        )
        .await;
    assert_eq!(state["focused"], "error-summary", "{state}");
    assert_eq!(state["invalid"], "true", "{state}");
    assert_eq!(state["described"], "amount_minor-error", "{state}");
    let link = state["link"].as_str().unwrap();
    assert!(
        link.starts_with("Amount the customer chose (GBP): "),
        "{link}"
    );
    assert_eq!(state["target"], "#amount");

    // A group of boxes: its fieldset is described by the message, the link named by its legend.
    browser.click("form[action$='/vulnerability'] button").await;
    for _ in 0..50 {
        let shown = "return document.getElementById('drivers-error') !== null";
        if browser.execute(shown).await == serde_json::json!(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let group = browser
        .execute(
            "const message = document.getElementById('drivers-error');
             const links = Array.from(document.querySelectorAll('.error-summary a'));
             return {
               described: message.nextElementSibling.getAttribute('aria-describedby'),
               links: links.map(a => a.textContent),
               consent: document.querySelector('input[name=consent]').getAttribute('aria-invalid'),
             };",
        )
        .await;
    assert_eq!(group["described"], "drivers-error", "{group}");
    let links: Vec<&str> = group["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(links.iter().any(|l| l.starts_with("Drivers: ")), "{group}");
    // A box in its own label: named by that label.
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("The customer agreed to this being recorded: ")),
        "{group}"
    );
    assert_eq!(group["consent"], "true");
    browser.quit().await;
}

/// The customer's journey in a real browser: the e-mailed link opens the plan page, which passes
/// an axe-core WCAG 2.2 AA check at phone size; confirming re-engages the case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_confirms_their_plan_from_the_email_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let sink = outreach::mail::catcher::SmtpSink::start();
    let app = crate::helpers::app::spawn_with(
        Backend::Sqlite,
        crate::helpers::plans::with_smtp(sink.port),
    )
    .await;
    let (token, case_id, _) = crate::helpers::plans::case_with_plan(&app).await;
    let body = serde_json::json!({"outcome": "plan_proposed"});
    crate::queue::outcome(&app, &token, &case_id, body).await;
    crate::helpers::plans::drain(&app).await;
    let parts = outreach::mail::catcher::decoded_parts(&sink.received()[0].data);
    let link = crate::helpers::plans::plan_link(&parts[0].1);

    browser.set_window(390, 844).await;
    browser.goto(&app.url(&link)).await;
    assert!(browser
        .text("#plan-words")
        .await
        .contains("£12.50 every week, starting Monday 16 March"));
    if let Some(violations) = axe_violations(&browser).await {
        assert_eq!(
            violations,
            serde_json::json!([]),
            "WCAG 2.2 AA violations on the plan page"
        );
    }
    let shot = browser.screenshot().await;
    assert!(shot.starts_with(b"\x89PNG"));
    std::fs::write(std::env::temp_dir().join("outreach-plan-phone.png"), shot).unwrap();

    browser.click("#confirm").await;
    assert!(browser
        .text("#outcome")
        .await
        .contains("your plan is confirmed"));
    if let Some(violations) = axe_violations(&browser).await {
        assert_eq!(
            violations,
            serde_json::json!([]),
            "WCAG violations on the confirmation page"
        );
    }
    let (status, reason) = crate::helpers::plans::case_state(&app, &case_id);
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("closed", Some("re_engaged"))
    );
    browser.quit().await;
}

/// Runs axe-core (from `OUTREACH_TEST_AXE_JS`) against the page: the violations' ids and targets.
pub async fn axe_violations(browser: &Browser) -> Option<serde_json::Value> {
    let path = match std::env::var("OUTREACH_TEST_AXE_JS") {
        Ok(path) => path,
        Err(_) if std::env::var("OUTREACH_TEST_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("OUTREACH_TEST_AXE_JS must point at axe.min.js here")
        }
        Err(_) => {
            eprintln!(
                "skipped: OUTREACH_TEST_AXE_JS is not set, so the accessibility check did not run"
            );
            return None;
        }
    };
    let axe = std::fs::read_to_string(path).expect("axe.min.js");
    browser.execute(&format!("{axe}; return true;")).await;
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
                .then(r => done(r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))))
                .catch(e => done({error: String(e)}));",
        )
        .await;
    Some(result)
}
