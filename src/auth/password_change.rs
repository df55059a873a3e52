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

/// Stores the new password if the old one is still `checked` (changed meanwhile, from another
/// session, it is refused rather than overwritten); ends the person's other sessions.
fn store_new(
    conn: &mut DbConn,
    user_id: i64,
    (checked, new_hash): (&str, &str),
    keep_session: Option<&str>,
    address: &str,
) -> AppResult<()> {
    let updated = diesel::update(users::table.find(user_id))
        .filter(users::password_hash.eq(checked))
        .set(users::password_hash.eq(new_hash))
        .execute(conn)?;
    if updated == 0 {
        return Err(AppError::Conflict(
            "Your password was changed elsewhere meanwhile: sign in again with the new one.".into(),
        ));
    }
    let others = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::token_hash.ne(keep_session.unwrap_or_default()));
    diesel::delete(others).execute(conn)?;
    super::store::record_login_success(conn, user_id, address)?;
    audit::record(
        conn,
        Actor::User(user_id),
        audit::Entry::new("password_changed", "user", Some(user_id)),
    )
}

/// A wrong current password counts as a failed sign-in from this address, with the same locks:
/// a session left open must not let someone try passwords without end.
fn count_wrong_current(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    super::login::count_failure(conn, user_id, address, now)?;
    audit::record(
        conn,
        Actor::User(user_id),
        audit::Entry::new("password_change_refused", "user", Some(user_id))
            .detail("the current password given was wrong"),
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
    let (user_id, now) = (user.id, session::now());
    let address =
        crate::rate_limit::request_network(&req, &state.config.trusted_proxies).to_string();
    let keep = session::token(&req, &state).map(|token| tokens::hash_token(&token));
    // Passwords are never shown back, right or wrong.
    let refused = |fields: FieldErrors| {
        Page::new("account/password.html", &csrf, Some(&user))
            .with_errors(Some(("Your password was not changed.".into(), fields)))
            .render(&state)
    };
    let at = address.clone();
    let (stored, locked): (String, Option<chrono::NaiveDateTime>) =
        db::run(&state.pool, move |conn| {
            let stored = users::table
                .find(user_id)
                .select(users::password_hash)
                .first(conn)?;
            Ok((stored, super::login::locked_now(conn, user_id, &at, now)?))
        })
        .await?;
    if let Some(until) = locked {
        let mut fields = FieldErrors::new();
        fields.insert(
            "current_password".into(),
            vec![format!(
                "was given wrongly too often: try again after {} UTC",
                until.format("%H:%M")
            )],
        );
        return refused(fields);
    }
    // The hashing runs off the database: Argon2 takes a while, and inside a write transaction
    // on SQLite it would hold every other writer back.
    let (right, errors, new_hash, stored) = web::block(move || {
        let right = verify_password(&form.current_password, &stored);
        let errors = mistakes(right, &form);
        let new_hash = match errors.is_empty() {
            true => Some(hash_password(&form.new_password)),
            false => None,
        };
        (right, errors, new_hash, stored)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))?;
    let Some(new_hash) = new_hash else {
        if !right {
            let at = address.clone();
            db::run_write(&state.pool, move |conn| {
                count_wrong_current(conn, user_id, &at, now)
            })
            .await?;
        }
        return refused(errors);
    };
    let new_hash = new_hash.map_err(AppError::Internal)?;
    db::run_write(&state.pool, move |conn| {
        store_new(
            conn,
            user_id,
            (&stored, &new_hash),
            keep.as_deref(),
            &address,
        )
    })
    .await?;
    Page::new("account/password.html", &csrf, Some(&user))
        .with("changed", &true)
        .render(&state)
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
