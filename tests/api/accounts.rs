use crate::backend_test;
use crate::helpers::{session::location, TestApp};

fn secret_on(html: &str) -> String {
    let start = html.find("id=\"secret\">").expect("secret shown") + "id=\"secret\">".len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_string()
}

backend_test!(an_admin_creates_a_client_a_client_user_and_an_api_key);
async fn an_admin_creates_a_client_a_client_user_and_an_api_key(app: TestApp) {
    let admin = app.login_as("admin", None).await;
    // The contact number is shown to customers: a card number typed there is refused, and what
    // the admin typed stays on the page to put right.
    let refused = admin
        .post_form(
            "/admin/clients",
            &[
                ("name", "Riverside Council"),
                ("contact_email", "help@riverside.test"),
                ("contact_phone", "4111 1111 1111 1111"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("looks like a card number"), "{page}");
    assert!(
        page.contains("Riverside Council"),
        "the form keeps what was typed"
    );
    let created = admin
        .post_form(
            "/admin/clients",
            &[
                ("name", "Riverside Council"),
                ("contact_email", "help@riverside.test"),
                ("contact_phone", ""),
            ],
        )
        .await;
    assert_eq!(created.status().as_u16(), 303);
    let client_page = location(&created);
    let client_id: i64 = client_page.rsplit('/').next().unwrap().parse().unwrap();

    let user = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "reader@riverside.test"),
                ("display_name", "Rita Reader"),
                ("role", "client"),
                ("client_id", &client_id.to_string()),
            ],
        )
        .await;
    assert_eq!(user.status().as_u16(), 200);
    let password = secret_on(&user.text().await.unwrap());
    let reader = app.anonymous();
    let login = reader.login("reader@riverside.test", &password).await;
    assert_eq!(
        location(&login),
        "/portal",
        "the generated password works once shown"
    );

    let key_page = admin
        .post_form(
            &format!("/admin/clients/{client_id}/api-keys"),
            &[("label", "CRM")],
        )
        .await;
    let key = secret_on(&key_page.text().await.unwrap());
    assert!(key.starts_with("ok_"));
    let me = app
        .api()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);
    let (_, listing) = admin.get_text(&client_page).await;
    assert!(listing.contains("CRM"));
    assert!(!listing.contains(&key), "the key is never shown again");

    let actions: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log::dsl::*;
        audit_log.select(action).order(id.asc()).load(conn).unwrap()
    });
    for expected in ["client_created", "user_created", "api_key_issued", "login"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "audit has {expected}: {actions:?}"
        );
    }
}

backend_test!(bad_user_details_are_shown_by_field_and_nothing_is_created);
async fn bad_user_details_are_shown_by_field_and_nothing_is_created(app: TestApp) {
    let admin = app.login_as("admin", None).await;
    let response = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("display_name", "X"),
                ("role", "client"),
                ("client_id", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("is not a valid e-mail address"), "{html}");
    assert!(html.contains("not-an-email"), "what was typed is kept");
    let count: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::users::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(count, 1, "only the admin exists");
}

backend_test!(a_deactivated_user_is_signed_out_at_once);
/// Deactivating ends everything at once: the session, the personal tokens (for good: turned on
/// again, the handler gets new ones), and the call they held, which goes back to the queue's
/// care instead of waiting out its lease.
async fn a_deactivated_user_is_signed_out_at_once(app: TestApp) {
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Leaving Co"));
    let case = crate::queue::refer(&app, &key, crate::referrals::referral("LV-1")).await;
    let (email, password) = app.create_user("handler", None);
    let handler = app.anonymous();
    handler.login(&email, &password).await;
    let user_id =
        app.with_conn(|conn| outreach::accounts::store::user_id_by_email(conn, &email).unwrap());
    let token = app.with_conn(|conn| {
        outreach::accounts::issue_personal_token(conn, outreach::audit::Actor::System, user_id, "t")
            .unwrap()
            .1
    });
    let (status, _) = crate::queue::next_call(&app, &token).await;
    assert_eq!(status, 200);
    let admin = app.login_as("admin", None).await;
    let response = admin
        .post_form(
            &format!("/admin/users/{user_id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let after = handler.get("/admin/users").await;
    assert_eq!(
        after.status().as_u16(),
        303,
        "the old session no longer works"
    );
    let again = app.anonymous().login(&email, &password).await;
    assert_eq!(again.status().as_u16(), 401);
    let held = app.with_conn(|conn| {
        outreach::cases::store::find(conn, case["id"].as_i64().unwrap()).unwrap()
    });
    assert!(!held.on_a_call(app.state.clock.now_naive()), "{held:?}");
    let back = admin
        .post_form(
            &format!("/admin/users/{user_id}/active"),
            &[("active", "true")],
        )
        .await;
    assert_eq!(back.status().as_u16(), 303);
    let me = app
        .api()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 401, "the old token stays revoked");
}

backend_test!(a_leaked_personal_token_is_revoked_from_the_users_page);
/// A handler's personal token (a telephony system's) is listed with its owner and can be revoked
/// there, without deactivating the handler.
async fn a_leaked_personal_token_is_revoked_from_the_users_page(app: TestApp) {
    let (email, _) = app.create_user("handler", None);
    let user_id: i64 =
        app.with_conn(|conn| outreach::accounts::store::user_id_by_email(conn, &email).unwrap());
    let admin = app.login_as("admin", None).await;
    let issued = admin
        .post_form(
            &format!("/admin/users/{user_id}/tokens"),
            &[("label", "Telephony")],
        )
        .await;
    let token = secret_on(&issued.text().await.unwrap());
    let me = |token: String| {
        let request = app.api().get(app.url("/api/v1/me")).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(token.clone()).await, 200);

    let (_, page) = admin.get_text("/admin/users").await;
    let listed = page.split("<h2>Personal API tokens</h2>").nth(1).unwrap();
    assert!(
        listed.contains(&email) && listed.contains("Telephony"),
        "{listed}"
    );
    assert!(!page.contains(&token), "the token is never shown again");
    let action = listed
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert!(action.ends_with("/revoke"), "{action}");
    let revoked = admin.post_form(&action, &[("back", "/admin/users")]).await;
    assert_eq!(location(&revoked), "/admin/users");
    assert_eq!(me(token).await, 401);
    let (_, page) = admin.get_text("/admin/users").await;
    assert!(page.contains("Revoked"));
}

backend_test!(a_new_user_gets_the_role_the_admin_chose_never_admin_by_default);
async fn a_new_user_gets_the_role_the_admin_chose_never_admin_by_default(app: TestApp) {
    let admin = app.login_as("admin", None).await;
    let (_, page) = admin.get_text("/admin/users").await;
    let select = &page[page.find(r#"<select id="role""#).unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(
        select.contains(r#"<option value="" selected>"#) && select.contains("required"),
        "no role is chosen until the admin chooses one: {select}"
    );
    // A form sent without a role (an old page, a script) is refused, naming the field.
    let refused = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "new@staff.test"),
                ("display_name", "New"),
                ("role", ""),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Choose a role"), "{html}");
    assert!(
        html.contains(r#"value="new@staff.test""#),
        "what was typed stays"
    );
}

backend_test!(an_admin_finds_who_changed_what_in_the_audit_log);
async fn an_admin_finds_who_changed_what_in_the_audit_log(app: TestApp) {
    let (email, password) = app.create_user("admin", None);
    let admin = app.anonymous();
    admin.login(&email, &password).await;
    let created = admin
        .post_form(
            "/admin/clients",
            &[
                ("name", "Audited Council"),
                ("contact_email", ""),
                ("contact_phone", ""),
            ],
        )
        .await;
    let client_id = location(&created).rsplit('/').next().unwrap().to_string();
    // Enough of the system's own entries to push it off the first page.
    app.with_conn(|conn| {
        for n in 0..205 {
            outreach::audit::record(
                conn,
                outreach::audit::Actor::System,
                outreach::audit::Entry::new("case_requeued", "case", Some(n)),
            )
            .unwrap();
        }
    });
    let (_, page) = admin.get_text("/admin/audit").await;
    assert!(!page.contains("Audited Council") && page.contains("id=\"older\""));
    let older = page
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with("/admin/audit?"))
        .unwrap()
        .replace("&amp;", "&");
    let (_, page) = admin.get_text(&older).await;
    assert!(page.contains("client_created"), "{page}");
    // Or straight to it: by who did it, and by what it was done to.
    let (_, page) = admin
        .get_text(&format!(
            "/admin/audit?who={email}&entity=client&entity_id={client_id}"
        ))
        .await;
    assert!(
        page.contains("client_created") && page.contains(&format!("<td>{email}</td>")),
        "{page}"
    );
    assert!(!page.contains("case_requeued"));
    let (_, page) = admin
        .get_text("/admin/audit?who=nobody%40example.test")
        .await;
    assert!(page.contains("No entries match."));
}
