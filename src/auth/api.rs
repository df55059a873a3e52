//! Bearer authentication for `/api/`: client API keys and handlers' personal tokens, both stored
//! only as hashes.

use std::collections::HashMap;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{roles::Role, session::CurrentUser, store, tokens};
use crate::{
    audit::Actor,
    db::{self, DbConn},
    error::{AppError, AppResult},
    state::AppState,
};

pub const CLIENT_KEY_PREFIX: &str = "ok_";
pub const PERSONAL_TOKEN_PREFIX: &str = "ot_";

/// How long a verified credential is trusted without asking the database again. Integrations
/// and handlers' tools call many times a second; a revoked credential or deactivated user stops
/// working at once on the instance that made the change (it clears this cache) and within this
/// time on the others.
pub const CREDENTIALS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// Verified credentials by token hash (see `CREDENTIALS_FRESH_FOR`); only successes are kept.
pub type CredentialCache = crate::reference::TtlMap<String, Principal>;

/// What a bearer credential turned out to be.
#[derive(Clone, Debug)]
pub enum Principal {
    Client {
        credential_id: i64,
        client_id: i64,
    },
    Staff {
        credential_id: i64,
        user: CurrentUser,
    },
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case), if there is one.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The hash of the request's bearer token (the only form a token is looked up or cached by).
fn bearer_hash(req: &HttpRequest) -> Result<String, AppError> {
    bearer(req)
        .map(|token| tokens::hash_token(&token))
        .ok_or(AppError::Unauthorized)
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("state missing")))
}

/// Looks credentials up, keeping the valid ones for `CREDENTIALS_FRESH_FOR`.
fn look_up(
    conn: &mut DbConn,
    state: &AppState,
    hashes: &[String],
) -> AppResult<HashMap<String, Principal>> {
    let found = store::principals_for_tokens(conn, hashes)?;
    for (hash, principal) in &found {
        state.credentials.insert(hash.clone(), principal.clone());
    }
    Ok(found)
}

/// Each staff bearer checked: those not remembered, with one query between them (and then
/// remembered). A refusal is one bearer's answer, not the others'.
pub fn verify_all(
    conn: &mut DbConn,
    state: &AppState,
    bearers: Vec<StaffBearer>,
) -> AppResult<Vec<AppResult<ApiStaff>>> {
    let unknown: Vec<String> = bearers
        .iter()
        .filter(|b| b.known.is_none())
        .map(|b| b.hash.clone())
        .collect();
    let found = look_up(conn, state, &unknown)?;
    Ok(bearers
        .into_iter()
        .map(|bearer| match bearer.known {
            Some(staff) => Ok(staff),
            None => found
                .get(&bearer.hash)
                .cloned()
                .ok_or(AppError::Unauthorized)
                .and_then(ApiStaff::from_principal),
        })
        .collect())
}

fn authenticate(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Principal, AppError>> {
    let found = bearer_hash(req).and_then(|hash| Ok((app_state(req)?, hash)));
    Box::pin(async move {
        let (state, hash) = found?;
        if let Some(principal) = state.credentials.get(&hash) {
            return Ok(principal);
        }
        let app = state.clone();
        db::run(&state.pool, move |conn| {
            look_up(conn, &app, std::slice::from_ref(&hash))?
                .remove(&hash)
                .ok_or(AppError::Unauthorized)
        })
        .await
    })
}

/// A request made with a client's API key.
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub credential_id: i64,
    pub client_id: i64,
}

impl ApiClient {
    pub fn actor(&self) -> Actor {
        Actor::ApiKey(self.credential_id)
    }
}

impl FromRequest for ApiClient {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = authenticate(req);
        Box::pin(async move {
            match principal.await? {
                Principal::Client {
                    credential_id,
                    client_id,
                } => Ok(ApiClient {
                    credential_id,
                    client_id,
                }),
                Principal::Staff { .. } => Err(AppError::Forbidden),
            }
        })
    }
}

/// A request made with a handler's (or supervisor's) personal token.
#[derive(Clone, Debug)]
pub struct ApiStaff {
    pub credential_id: i64,
    pub user: CurrentUser,
}

impl FromRequest for ApiStaff {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bearer = StaffBearer::from_request(req, payload).into_inner();
        let state = app_state(req);
        Box::pin(async move {
            let mut bearer = bearer?;
            if let Some(staff) = bearer.known.take() {
                return Ok(staff);
            }
            bearer.run(&state?, |_, staff| Ok(staff)).await
        })
    }
}

impl ApiStaff {
    pub fn actor(&self) -> Actor {
        Actor::PersonalToken(self.credential_id)
    }

    /// Handlers and supervisors only: a client's key, or another role's token, is refused.
    fn from_principal(principal: Principal) -> AppResult<ApiStaff> {
        match principal {
            Principal::Staff {
                credential_id,
                user,
            } if matches!(user.role, Role::Handler | Role::Supervisor) => Ok(ApiStaff {
                credential_id,
                user,
            }),
            _ => Err(AppError::Forbidden),
        }
    }
}

/// A handler's (or supervisor's) personal token, checked on the connection the request's own
/// work then runs on, or straight from the credentials verified in the last seconds. With
/// [`ApiStaff`] a request waits its turn for a connection twice, once to have the token checked
/// and again for its work; for the calls a handler's tool makes all day (the next call, its
/// outcome) the second wait was about a third of the time a call took under load (README,
/// Benchmarks). A missing token or one known to be the wrong kind is refused at once; an unknown
/// one when the work would start (after the body is read, so a malformed body is reported first).
pub struct StaffBearer {
    hash: String,
    known: Option<ApiStaff>,
}

impl FromRequest for StaffBearer {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer_hash(req).and_then(|hash| {
            let known = app_state(req)?.credentials.get(&hash);
            Ok(StaffBearer {
                known: known.map(ApiStaff::from_principal).transpose()?,
                hash,
            })
        });
        std::future::ready(bearer)
    }
}

impl StaffBearer {
    /// Runs `work` as the verified handler on one pooled connection (`db::run`); nothing of it
    /// runs for an unknown, revoked or wrong kind of token.
    pub async fn run<T, F>(self, state: &web::Data<AppState>, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, ApiStaff) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let app = state.clone();
        db::run(&state.pool, move |conn| {
            let staff = verify_all(conn, &app, vec![self])?
                .pop()
                .unwrap_or(Err(AppError::Unauthorized))?;
            work(conn, staff)
        })
        .await
    }

    /// `run` with the work in one write transaction (`db::write_transaction`); the token is
    /// checked before it starts.
    pub async fn run_write<T, F>(self, state: &web::Data<AppState>, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, ApiStaff) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(state, |conn, staff| {
            db::write_transaction(conn, |conn| work(conn, staff))
        })
        .await
    }
}

/// Either kind of caller, for routes both may use.
pub struct AnyPrincipal(pub Principal);

impl FromRequest for AnyPrincipal {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = authenticate(req);
        Box::pin(async move { principal.await.map(AnyPrincipal) })
    }
}
