//! Bearer authentication for `/api/`: client API keys and handlers' personal tokens, both stored
//! only as hashes.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{roles::Role, session::CurrentUser, store, tokens};
use crate::{audit::Actor, db, error::AppError, state::AppState};

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

fn authenticate(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Principal, AppError>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("state missing")))?;
        let token = token.ok_or(AppError::Unauthorized)?;
        let hash = tokens::hash_token(&token);
        if let Some(principal) = state.credentials.get(&hash) {
            return Ok(principal);
        }
        let key = hash.clone();
        let found = db::run(&state.pool, move |conn| {
            store::principal_for_token(conn, &key)
        })
        .await?
        .ok_or(AppError::Unauthorized)?;
        state.credentials.insert(hash, found.clone());
        Ok(found)
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

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = authenticate(req);
        Box::pin(async move {
            match principal.await? {
                Principal::Staff {
                    credential_id,
                    user,
                } if matches!(user.role, Role::Handler | Role::Supervisor) => Ok(ApiStaff {
                    credential_id,
                    user,
                }),
                _ => Err(AppError::Forbidden),
            }
        })
    }
}

impl ApiStaff {
    pub fn actor(&self) -> Actor {
        Actor::PersonalToken(self.credential_id)
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
