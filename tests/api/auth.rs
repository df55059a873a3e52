use crate::backend_test;
use crate::helpers::{session::location, TestApp};

backend_test!(a_user_logs_in_lands_on_their_page_and_logs_out);
async fn a_user_logs_in_lands_on_their_page_and_logs_out(app: TestApp) {
    let (email, password) = app.create_user("admin", None);
    let session = app.anonymous();
    let before_login = session.csrf_token().await;
    let response = session.login(&email.to_uppercase(), &password).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/admin/users");
    // A form token learnt (or planted) before signing in is worthless after it.
    let signed_in = session.csrf_token().await;
    assert_ne!(signed_in, before_login);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("outreach_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(!cookie.contains(&email), "the cookie is encrypted");

    let (status, html) = session.get_text("/admin/users").await;
    assert_eq!(status, 200);
    assert!(html.contains(&email));

    let logout = session.post_form("/logout", &[]).await;
    assert_eq!(location(&logout), "/login");
    assert_ne!(
        session.csrf_token().await,
        signed_in,
        "renewed at logout too"
    );
    let after = session.get("/admin/users").await;
    assert_eq!(
        after.status().as_u16(),
        303,
        "logged out: back to the login page"
    );
    assert!(location(&after).starts_with("/login"));
}

backend_test!(wrong_passwords_are_refused_without_saying_which_part_was_wrong);
async fn wrong_passwords_are_refused_without_saying_which_part_was_wrong(app: TestApp) {
    let (email, _) = app.create_user("handler", None);
    let session = app.anonymous();
    let wrong_password = session.login(&email, "not-the-password").await;
    assert_eq!(wrong_password.status().as_u16(), 401);
    let text_a = wrong_password.text().await.unwrap();
    let unknown_email = session.login("nobody@example.test", "whatever").await;
    assert_eq!(unknown_email.status().as_u16(), 401);
    let text_b = unknown_email.text().await.unwrap();
    assert!(text_a.contains("do not match an account"));
    assert!(text_b.contains("do not match an account"));
}

backend_test!(a_login_name_with_a_nul_is_refused_not_failed);
// Not a free-text field the guard sees: PostgreSQL refuses the NUL when the name is looked up,
// and that is the sender's mistake (422), not the service failing (500).
async fn a_login_name_with_a_nul_is_refused_not_failed(app: TestApp) {
    let response = app
        .anonymous()
        .login("ann\0@example.test", "whatever")
        .await;
    assert!(
        [401, 422].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
    assert!(!response.text().await.unwrap().contains("byte sequence"));
}

backend_test!(repeated_failures_lock_the_account_even_for_the_right_password);
async fn repeated_failures_lock_the_account_even_for_the_right_password(app: TestApp) {
    let (email, password) = app.create_user("handler", None);
    let session = app.anonymous();
    for _ in 0..5 {
        session.login(&email, "wrong").await;
    }
    let locked = session.login(&email, &password).await;
    assert_eq!(locked.status().as_u16(), 401, "even the right password");
    let locked = locked.text().await.unwrap();
    assert!(locked.contains("paused for a few minutes"), "{locked}");
    // The same five guesses at an address with no account end the same way: the lockout does
    // not tell a guesser which addresses have accounts.
    for _ in 0..5 {
        session.login("nobody@example.test", "wrong").await;
    }
    let unknown = session.login("nobody@example.test", "wrong").await;
    assert_eq!(unknown.status().as_u16(), 401);
    let error_of = |page: &str| {
        let after = page.split(r#"<p id="login-error">"#).nth(1).unwrap();
        after.split("</p>").next().unwrap().to_string()
    };
    assert_eq!(error_of(&unknown.text().await.unwrap()), error_of(&locked));
}

backend_test!(guesses_sent_in_parallel_each_count_towards_the_lockout);
async fn guesses_sent_in_parallel_each_count_towards_the_lockout(app: TestApp) {
    let (email, _) = app.create_user("handler", None);
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(app.anonymous());
    }
    let guesses = sessions
        .iter()
        .map(|session| session.login(&email, "wrong"));
    futures_util::future::join_all(guesses).await;
    let failures: i32 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::login_failures;
        login_failures::table
            .select(login_failures::failures)
            .first(conn)
            .unwrap()
    });
    assert_eq!(failures, 4, "every guess counted");
}

backend_test!(guesses_from_one_address_do_not_lock_the_owner_out_from_theirs);
async fn guesses_from_one_address_do_not_lock_the_owner_out_from_theirs(app: TestApp) {
    use outreach::auth::login::{attempt, LoginOutcome};
    let (email, password) = app.create_user("supervisor", None);
    let now = chrono::Utc::now().naive_utc();
    app.with_conn(|conn| {
        let mut from =
            |address: &str, password: &str| attempt(conn, &email, password, address, now).unwrap();
        for _ in 0..5 {
            from("203.0.113.9", "guess");
        }
        assert!(matches!(
            from("203.0.113.9", &password),
            LoginOutcome::Locked { .. }
        ));
        assert!(matches!(
            from("198.51.100.20", &password),
            LoginOutcome::Success { .. }
        ));
    });
}

backend_test!(forms_without_a_matching_csrf_token_are_refused);
async fn forms_without_a_matching_csrf_token_are_refused(app: TestApp) {
    let (email, password) = app.create_user("admin", None);
    let session = app.anonymous();
    session.get("/login").await;
    let no_token = session
        .post_raw_form("/login", &[("email", &email), ("password", &password)])
        .await;
    assert_eq!(no_token.status().as_u16(), 422);
    assert!(no_token
        .text()
        .await
        .unwrap()
        .contains("This form has expired"));
    let forged = session
        .post_raw_form(
            "/login",
            &[
                ("email", &email),
                ("password", &password),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status().as_u16(), 422);
    // A token from another visitor's page does not match this visitor's cookie.
    let other = app.anonymous();
    let other_token = other.csrf_token().await;
    let stolen = session
        .post_raw_form(
            "/login",
            &[
                ("email", &email),
                ("password", &password),
                ("csrf_token", &other_token),
            ],
        )
        .await;
    assert_eq!(stolen.status().as_u16(), 422);
}

backend_test!(role_checks_guard_every_admin_page);
async fn role_checks_guard_every_admin_page(app: TestApp) {
    let client_id = app.create_client("Tenant A");
    for role in ["handler", "supervisor", "client"] {
        let client = (role == "client").then_some(client_id);
        let session = app.login_as(role, client).await;
        for path in [
            "/admin/users",
            "/admin/clients",
            "/admin/audit",
            &format!("/admin/clients/{client_id}"),
        ] {
            let response = session.get(path).await;
            assert_eq!(
                response.status().as_u16(),
                403,
                "{role} must not open {path}"
            );
        }
        let post = session
            .post_form("/admin/clients", &[("name", "Sneaky")])
            .await;
        assert_eq!(
            post.status().as_u16(),
            403,
            "{role} must not create clients"
        );
    }
}

backend_test!(api_keys_authenticate_until_revoked);
async fn api_keys_authenticate_until_revoked(app: TestApp) {
    let client_id = app.create_client("Keyed");
    let key = app.client_api_key(client_id);
    let api = app.api();
    let me = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["kind"], "client");
    assert_eq!(body["client_id"], client_id);

    let none = api.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let body: serde_json::Value = none.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(body["request_id"].is_string());

    let credential_id: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::api_credentials as c;
        c::table
            .filter(c::client_id.eq(Some(client_id)))
            .select(c::id)
            .first(conn)
            .unwrap()
    });
    let admin = app.login_as("admin", None).await;
    let revoke = admin
        .post_form(
            &format!("/admin/credentials/{credential_id}/revoke"),
            &[("back", "/admin/clients")],
        )
        .await;
    assert_eq!(revoke.status().as_u16(), 303);
    let after = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status().as_u16(),
        401,
        "a revoked key no longer works"
    );
}

backend_test!(personal_tokens_identify_the_handler);
async fn personal_tokens_identify_the_handler(app: TestApp) {
    let (user_id, token) = app.staff_token("handler");
    let me = app
        .api()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["kind"], "staff");
    assert_eq!(body["user_id"], user_id);
    assert_eq!(body["role"], "handler");
    let stored: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::api_credentials::table
            .select(outreach::db::schema::api_credentials::token_hash)
            .load(conn)
            .unwrap()
    });
    assert!(stored.iter().all(|h| h != &token), "only hashes are stored");
}

backend_test!(a_deactivated_handlers_token_stops_working_at_once);
async fn a_deactivated_handlers_token_stops_working_at_once(app: TestApp) {
    let (user_id, token) = app.staff_token("handler");
    let me = || {
        app.api()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(me().await.unwrap().status().as_u16(), 200);
    let admin = app.login_as("admin", None).await;
    let off = admin
        .post_form(
            &format!("/admin/users/{user_id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(off.status().as_u16(), 303);
    assert_eq!(
        me().await.unwrap().status().as_u16(),
        401,
        "the token was verified a moment ago, yet deactivation takes effect at once"
    );
}

/// Served over HTTPS (`OUTREACH_SECURE_COOKIES`), the cookies are `__Host-` ones: a browser takes
/// them only from this host, Secure, for the whole site, so a sibling subdomain or a plain-HTTP
/// page cannot plant a form cookie whose token it knows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookies_cannot_be_planted_from_elsewhere() {
    let app = crate::helpers::app::spawn_with(crate::helpers::Backend::Sqlite, |config| {
        config.secure_cookies = true;
    })
    .await;
    let page = app.api().get(app.url("/login")).send().await.unwrap();
    let cookies: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let form_cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-outreach_csrf="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(form_cookie.contains("Secure") && form_cookie.contains("Path=/"));
    assert!(!form_cookie.contains("Domain"));
}
