//! People change their own password: the one an admin set and saw is theirs to replace.

use crate::backend_test;
use crate::helpers::TestApp;

backend_test!(a_person_changes_their_password_and_their_other_sessions_end);
async fn a_person_changes_their_password_and_their_other_sessions_end(app: TestApp) {
    let (email, password) = app.create_user("handler", None);
    let here = app.anonymous();
    assert_eq!(here.login(&email, &password).await.status().as_u16(), 303);
    let elsewhere = app.anonymous();
    assert_eq!(
        elsewhere.login(&email, &password).await.status().as_u16(),
        303
    );
    let (status, page) = here.get_text("/account/password").await;
    assert_eq!(status, 200);
    assert!(page.contains("Change your password"), "{page}");

    let wrong = here
        .post_form(
            "/account/password",
            &[
                ("current_password", "not-my-password"),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 422);
    let page = wrong.text().await.unwrap();
    assert!(page.contains("is not your current password"), "{page}");
    assert!(page.contains("must be at least 12 characters"));
    assert!(
        !page.contains("not-my-password"),
        "passwords are never shown back"
    );

    let new_password = "a much longer passphrase";
    let changed = here
        .post_form(
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status().as_u16(), 200);
    assert!(changed
        .text()
        .await
        .unwrap()
        .contains("id=\"password-changed\""));
    assert_eq!(
        here.get("/queue").await.status().as_u16(),
        200,
        "still signed in here"
    );
    assert_eq!(
        elsewhere.get("/queue").await.status().as_u16(),
        303,
        "signed out elsewhere"
    );
    let old = app.anonymous().login(&email, &password).await;
    assert_eq!(old.status().as_u16(), 401);
    let new = app.anonymous().login(&email, new_password).await;
    assert_eq!(new.status().as_u16(), 303);
    let user_id =
        app.with_conn(|conn| outreach::accounts::store::user_id_by_email(conn, &email).unwrap());
    let audited: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("password_changed"))
            .filter(audit_log::entity_id.eq(user_id))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(audited, 1);
}

backend_test!(a_session_left_open_cannot_try_current_passwords_without_end);
/// Someone at a colleague's unlocked screen tries to change the password: wrong guesses at the
/// current one count as failed sign-ins, and lock as they do.
async fn a_session_left_open_cannot_try_current_passwords_without_end(app: TestApp) {
    let (email, password) = app.create_user("handler", None);
    let session = app.anonymous();
    assert_eq!(
        session.login(&email, &password).await.status().as_u16(),
        303
    );
    let attempt = |current: String| {
        let session = &session;
        async move {
            let new = "a much longer passphrase".to_string();
            let form = [
                ("current_password", current.as_str()),
                ("new_password", new.as_str()),
                ("confirm_password", new.as_str()),
            ];
            let response = session.post_form("/account/password", &form).await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    for guess in 0..outreach::auth::lockout::FREE_ATTEMPTS {
        let (status, page) = attempt(format!("guess number {guess}")).await;
        assert_eq!(status, 422);
        assert!(page.contains("is not your current password"), "{page}");
    }
    let (status, page) = attempt(password.clone()).await;
    assert_eq!(status, 422, "locked, even with the right one");
    assert!(page.contains("was given wrongly too often"), "{page}");
}
