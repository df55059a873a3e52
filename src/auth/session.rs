//! Login sessions: a random token in a private cookie, its hash in the `sessions` table, so a
//! logout or a deactivated account ends the session at once on every instance.

use actix_web::{
    cookie::{Cookie, SameSite},
    dev::Payload,
    web, FromRequest, HttpMessage, HttpRequest,
};
use chrono::{Duration, NaiveDateTime, Utc};
use futures_util::future::{ready, Either, LocalBoxFuture, Ready};
use serde::Serialize;

use super::{cookies, roles::Role, store, tokens};
use crate::{db, error::AppError, state::AppState};

pub const SESSION_COOKIE: cookies::CookieName = cookies::CookieName {
    plain: "outreach_session",
    host_only: "__Host-outreach_session",
};
pub const SESSION_LIFETIME_HOURS: i64 = 12;

#[derive(Clone, Debug, Serialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub client_id: Option<i64>,
}

impl CurrentUser {
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::User(self.id)
    }
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Starts a session for `user_id`; returns the cookie to set.
pub fn start(
    conn: &mut db::DbConn,
    state: &AppState,
    user_id: i64,
) -> Result<Cookie<'static>, AppError> {
    let token = tokens::new_token("");
    let now = now();
    store::create_session(
        conn,
        user_id,
        &tokens::hash_token(&token),
        now,
        now + Duration::hours(SESSION_LIFETIME_HOURS),
    )?;
    Ok(cookies::private_cookie(
        &state.cookie_key,
        SESSION_COOKIE.get(state.config.secure_cookies),
        token,
        state.config.secure_cookies,
        SameSite::Lax,
    ))
}

/// The raw session token from the request's cookie, if it decrypts.
pub fn token(req: &HttpRequest, state: &AppState) -> Option<String> {
    let name = SESSION_COOKIE.get(state.config.secure_cookies);
    cookies::read_private(req, &state.cookie_key, name)
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future =
        Either<Ready<Result<Self, AppError>>, LocalBoxFuture<'static, Result<Self, AppError>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(user) = req.extensions().get::<CurrentUser>() {
            return Either::Left(ready(Ok(user.clone())));
        }
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return Either::Left(ready(Err(AppError::Internal(anyhow::anyhow!(
                "application state missing"
            )))));
        };
        let Some(token) = token(req, &state) else {
            return Either::Left(ready(Err(AppError::LoginRequired)));
        };
        let req = req.clone();
        Either::Right(Box::pin(async move {
            let hash = tokens::hash_token(&token);
            let user = db::run(&state.pool, move |conn| {
                store::user_for_session(conn, &hash, now())
            })
            .await?
            .ok_or(AppError::LoginRequired)?;
            req.extensions_mut().insert(user.clone());
            Ok(user)
        }))
    }
}
