//! A signed-in person changes their own password: accounts are created with a password the
//! admin sees once, which is theirs to replace. Their other sessions end (someone else may be
//! signed in with the old one); the one they changed it from stays.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use super::{
    csrf::{CsrfForm, CsrfToken},
    password::{hash_password, verify_password, MIN_PASSWORD_LEN},
    session::{self, CurrentUser},
    tokens,
};
use crate::{
    audit::{self, Actor},
    db::{self, schema::sessions, schema::users, DbConn},
    error::{AppError, AppResult, FieldErrors},
    state::AppState,
    web::Page,
};

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// The mistakes in a new password, by field, given whether the current one was right.
pub fn mistakes(current_is_right: bool, form: &PasswordForm) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut add = |field: &str, message: String| {
        errors.entry(field.into()).or_default().push(message);
    };
    if !current_is_right {
        add("current_password", "is not your current password".into());
    }
    if form.new_password.chars().count() < MIN_PASSWORD_LEN {
        add(
            "new_password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        );
    } else if form.new_password == form.current_password {
        add("new_password", "must differ from the current one".into());
    }
    if form.confirm_password != form.new_password {
        add("confirm_password", "does not match the new password".into());
    }
    errors
}

/// Checks and stores the new password; ends the person's other sessions.
fn change(
    conn: &mut DbConn,
    user_id: i64,
    keep_session: Option<&str>,
    form: &PasswordForm,
) -> AppResult<()> {
    let stored: String = users::table
        .find(user_id)
        .select(users::password_hash)
        .first(conn)?;
    let errors = mistakes(verify_password(&form.current_password, &stored), form);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let hash = hash_password(&form.new_password).map_err(AppError::Internal)?;
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    let others = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::token_hash.ne(keep_session.unwrap_or_default()));
    diesel::delete(others).execute(conn)?;
    audit::record(
        conn,
        Actor::User(user_id),
        audit::Entry::new("password_changed", "user", Some(user_id)),
    )
}

#[get("/account/password")]
async fn password_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    Page::new("account/password.html", &csrf, Some(&user)).render(&state)
}

#[post("/account/password")]
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    let user_id = user.id;
    let keep = session::token(&req, &state).map(|token| tokens::hash_token(&token));
    let changed = db::run_write(&state.pool, move |conn| {
        change(conn, user_id, keep.as_deref(), &form)
    })
    .await;
    // Passwords are never shown back, right or wrong.
    match changed {
        Ok(()) => Page::new("account/password.html", &csrf, Some(&user))
            .with("changed", &true)
            .render(&state),
        Err(AppError::Validation { message, fields }) => {
            Page::new("account/password.html", &csrf, Some(&user))
                .with_errors(Some((message, fields)))
                .render(&state)
        }
        Err(other) => Err(other),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(password_page).service(change_password);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(current: &str, new: &str, confirm: &str) -> PasswordForm {
        PasswordForm {
            current_password: current.into(),
            new_password: new.into(),
            confirm_password: confirm.into(),
        }
    }

    #[test]
    fn each_mistake_is_named_against_its_field() {
        let ok = form("old password here", "a longer new one", "a longer new one");
        assert!(mistakes(true, &ok).is_empty());
        let errors = mistakes(false, &form("x", "short", "shorter"));
        assert_eq!(errors["current_password"], ["is not your current password"]);
        assert_eq!(errors["new_password"], ["must be at least 12 characters"]);
        assert_eq!(
            errors["confirm_password"],
            ["does not match the new password"]
        );
        let same = form(
            "same long password",
            "same long password",
            "same long password",
        );
        assert_eq!(
            mistakes(true, &same)["new_password"],
            ["must differ from the current one"]
        );
    }
}
