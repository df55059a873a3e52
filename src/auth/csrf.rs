//! CSRF protection for every form: a random token in a private (encrypted, SameSite=Lax)
//! cookie, repeated in a hidden field. A cross-site page can neither read the cookie nor forge
//! its encryption, so it cannot produce a matching pair. Lax, not Strict: a browser leaves a
//! Strict cookie off a link followed from another site (a supervisor alert read in webmail), the
//! service then minted a new token over it, and every form already open in another tab — the
//! call page renewing its claim — was refused as expired. Lax still keeps it off cross-site
//! POSTs.

use actix_web::{
    body::MessageBody,
    cookie::SameSite,
    dev::{Payload, ServiceRequest, ServiceResponse},
    middleware::Next,
    web, Error, FromRequest, HttpMessage, HttpRequest,
};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::{cookies, tokens};
use crate::{error::AppError, state::AppState};

pub const CSRF_COOKIE: cookies::CookieName = cookies::CookieName {
    plain: "outreach_csrf",
    host_only: "__Host-outreach_csrf",
};

/// The form cookie's value, if the request carries one that decrypts.
fn cookie_token(req: &HttpRequest, state: &AppState) -> Option<String> {
    let name = CSRF_COOKIE.get(state.config.secure_cookies);
    cookies::read_private(req, &state.cookie_key, name)
}
pub const CSRF_FIELD: &str = "csrf_token";
/// Forms larger than this are refused (uploads use their own limit).
const FORM_LIMIT: usize = 256 * 1024;

/// The token for this request's forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

/// Makes sure every page visitor has a CSRF cookie; the token is left in the request for pages.
pub async fn ensure_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, Error> {
    let state = state_of(req.request())?;
    // JSON routes authenticate with bearer credentials, which a cross-site form cannot send.
    if req.path().starts_with("/api/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let existing = cookie_token(req.request(), &state);
    let (token, fresh) = match existing {
        Some(token) => (token, false),
        None => (tokens::random_hex(32), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.call(req).await?;
    if fresh {
        response
            .response_mut()
            .add_cookie(&cookie_for(&state, token))?;
    }
    Ok(response.map_into_left_body())
}

fn cookie_for(state: &AppState, token: String) -> actix_web::cookie::Cookie<'static> {
    cookies::private_cookie(
        &state.cookie_key,
        CSRF_COOKIE.get(state.config.secure_cookies),
        token,
        state.config.secure_cookies,
        SameSite::Lax,
    )
}

/// A new token for a browser whose session just began or ended: one learnt before signing in
/// (or planted in the browser) is worthless after it.
pub fn renewed_cookie(state: &AppState) -> actix_web::cookie::Cookie<'static> {
    cookie_for(state, tokens::random_hex(32))
}

impl FromRequest for CsrfToken {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<CsrfToken>()
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("csrf middleware missing"))),
        )
    }
}

/// A form whose CSRF token has been checked. Handlers that change anything take this instead of
/// `web::Form`, so a form cannot forget the check.
pub struct CsrfForm<T>(pub T);

/// The check, separate from the body parsing so it is testable alone.
pub fn token_matches(cookie_token: Option<&str>, submitted: Option<&str>) -> bool {
    match (cookie_token, submitted) {
        (Some(expected), Some(given)) => {
            !expected.is_empty() && tokens::constant_time_eq(expected.as_bytes(), given.as_bytes())
        }
        _ => false,
    }
}

/// Checks a token submitted some other way than a urlencoded form (e.g. a multipart upload).
pub fn verify(req: &HttpRequest, submitted: Option<&str>) -> Result<(), AppError> {
    let state = state_of(req)?;
    let expected = cookie_token(req, &state);
    if token_matches(expected.as_deref(), submitted) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "This form has expired. Please go back, reload the page and try again.",
        ))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = state_of(&req)?;
            let body = body
                .await
                .map_err(|_| AppError::bad_request("The form could not be read."))?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::bad_request("The form is too large."));
            }
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::bad_request("The form could not be read."))?;
            let submitted = pairs
                .iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v.as_str());
            let expected = cookie_token(&req, &state);
            if !token_matches(expected.as_deref(), submitted) {
                return Err(AppError::bad_request(
                    "This form has expired. Please go back, reload the page and try again.",
                ));
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| {
                    let reason = crate::payment_guard::quotable(e.to_string());
                    AppError::bad_request(format!("The form could not be read: {reason}."))
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn only_an_identical_token_passes() {
        assert!(token_matches(Some("abc123"), Some("abc123")));
        assert!(!token_matches(Some("abc123"), Some("abc124")));
        assert!(!token_matches(Some("abc123"), None));
        assert!(!token_matches(None, Some("abc123")));
        assert!(!token_matches(Some(""), Some("")));
    }
}
