//! Login and logout pages.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{
    cookies,
    csrf::{CsrfForm, CsrfToken},
    login::{self, LoginOutcome},
    session::{self, CurrentUser, SESSION_COOKIE},
    tokens,
};
use crate::{
    db,
    error::AppResult,
    state::AppState,
    web::{redirect, Page},
};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only local paths, so the login page cannot be used to bounce people to another site. Spaces
/// and control characters are refused too: browsers drop tabs and newlines from a `Location`,
/// which would turn `/<tab>/evil.example` into `//evil.example`.
fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.bytes().all(|b| b.is_ascii_graphic()))
    .then_some(next)
}

#[get("/login")]
async fn login_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    Page::new("login.html", &csrf, None)
        .with("next", &query.next)
        .with("email", "")
        .render(&state)
}

#[post("/login")]
async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let address = crate::rate_limit::request_network(&req, &state.config.trusted_proxies);
    if state.login_limiter.exceeded(address) {
        return Err(crate::error::AppError::TooManyRequests);
    }
    let email = form.email.clone();
    let password = form.password;
    let st = state.clone();
    // One write transaction (on SQLite it takes its turn with the other writers): a failure's
    // count, a lock, the session and the audit entries.
    let outcome = db::run_write(&state.pool, move |conn| {
        let outcome = login::attempt(
            conn,
            &email,
            &password,
            &address.to_string(),
            session::now(),
        )?;
        match outcome {
            LoginOutcome::Success { user_id } => {
                let cookie = session::start(conn, &st, user_id)?;
                let role = super::store::user_role(conn, user_id)?;
                Ok(Ok((cookie, role)))
            }
            other => Ok(Err(other)),
        }
    })
    .await?;
    match outcome {
        Ok((cookie, role)) => {
            let target = safe_next(&form.next).unwrap_or(role.home()).to_string();
            let mut response = redirect(&target);
            response.add_cookie(&cookie).map_err(anyhow::Error::from)?;
            response
                .add_cookie(&super::csrf::renewed_cookie(&state))
                .map_err(anyhow::Error::from)?;
            Ok(response)
        }
        Err(_rejected_or_locked) => {
            state.login_limiter.allow(address);
            // One message whether the account is locked or the details are wrong: a lockout
            // says nothing to a guesser about which e-mail addresses have accounts (an unknown
            // address is never locked), and a locked account refuses even its right password.
            let message = "That e-mail address and password do not match an account, or sign-in \
                           to it is paused for a few minutes after repeated failed attempts. \
                           Please check them and try again shortly.";
            let mut response = Page::new("login.html", &csrf, None)
                .with("next", &form.next)
                .with("email", &form.email)
                .with("error", message)
                .render(&state)?;
            *response.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

#[post("/logout")]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    if let Some(token) = session::token(&req, &state) {
        let hash = tokens::hash_token(&token);
        let actor = user.actor();
        db::run(&state.pool, move |conn| {
            super::store::delete_session(conn, &hash)?;
            crate::audit::record(
                conn,
                actor,
                crate::audit::Entry::new("logout", "user", Some(user.id)),
            )
        })
        .await?;
    }
    let mut response = redirect("/login");
    response
        .add_cookie(&cookies::removal(
            SESSION_COOKIE.get(state.config.secure_cookies),
            state.config.secure_cookies,
        ))
        .map_err(anyhow::Error::from)?;
    response
        .add_cookie(&super::csrf::renewed_cookie(&state))
        .map_err(anyhow::Error::from)?;
    Ok(response)
}

/// `/` sends each person to their own start page.
#[get("/")]
async fn home(user: Option<CurrentUser>) -> HttpResponse {
    match user {
        Some(user) => redirect(user.role.home()),
        None => redirect("/login"),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login_page)
        .service(login_submit)
        .service(logout)
        .service(home);
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(safe_next("/queue"), Some("/queue"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next(""), None);
        assert_eq!(safe_next("/\t/evil.example"), None);
        assert_eq!(safe_next("/\n/evil.example"), None);
        assert_eq!(safe_next("/ /evil.example"), None);
        assert_eq!(
            safe_next("/calls/42?tab=notes"),
            Some("/calls/42?tab=notes")
        );
    }
}
