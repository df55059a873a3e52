//! The customer's link to their plan. The token is 256 bits derived from the server's secret and
//! a random nonce: the database keeps the nonce and the token's hash, never the token, so a copy
//! of the database cannot produce a working link.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{
    auth::tokens,
    db::{portable, schema::plan_links, DbConn},
    error::AppResult,
};

/// Links work for this long unless configured otherwise.
pub const DEFAULT_LINK_DAYS: i64 = 14;

/// The token for a nonce, keyed by the server secret.
pub fn token_for(secret: &[u8], purpose: &str, nonce: &str) -> String {
    use base64::Engine;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(nonce.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub const PURPOSE: &str = "plan-link";

/// How links are made: the server secret they are derived from, and how long they work.
#[derive(Clone, Copy)]
pub struct LinkSettings<'a> {
    pub secret: &'a [u8],
    pub days: i64,
}

impl<'a> LinkSettings<'a> {
    pub fn of(config: &'a crate::config::Config) -> Self {
        LinkSettings {
            secret: &config.session_key,
            days: config.link_days,
        }
    }
}

/// Creates a link for a plan; returns its id (the token is derived again when the e-mail is sent).
pub fn create(
    conn: &mut DbConn,
    secret: &[u8],
    plan_id: i64,
    now: NaiveDateTime,
    days: i64,
) -> AppResult<i64> {
    let nonce = tokens::random_hex(16);
    let token = token_for(secret, PURPOSE, &nonce);
    Ok(portable::get_result(
        diesel::insert_into(plan_links::table)
            .values((
                plan_links::plan_id.eq(plan_id),
                plan_links::nonce.eq(&nonce),
                plan_links::token_hash.eq(tokens::hash_token(&token)),
                plan_links::expires_at.eq(now + Duration::days(days)),
                plan_links::created_at.eq(now),
            ))
            .returning(plan_links::id),
        conn,
    )?)
}

/// An existing link's token, for the e-mail, and when it expires. The token is derived again
/// (never stored) from whichever of `secrets` made it: a link created before the key was rotated
/// still goes out working. A conflict, saying so, if none of them did.
pub fn token_of(
    conn: &mut DbConn,
    secrets: &[&[u8]],
    link_id: i64,
) -> AppResult<(String, NaiveDateTime)> {
    let (nonce, stored_hash, expires_at): (String, String, NaiveDateTime) = plan_links::table
        .find(link_id)
        .select((
            plan_links::nonce,
            plan_links::token_hash,
            plan_links::expires_at,
        ))
        .first(conn)?;
    secrets
        .iter()
        .map(|secret| token_for(secret, PURPOSE, &nonce))
        .find(|token| tokens::hash_token(token) == stored_hash)
        .map(|token| (token, expires_at))
        .ok_or_else(|| {
            crate::error::AppError::Conflict(
                "its plan link was made with a session key no longer configured \
                 (list it in OUTREACH_PREVIOUS_SESSION_KEYS)"
                    .into(),
            )
        })
}

pub enum LinkState {
    Valid { plan_id: i64 },
    Expired,
    Unknown,
}

/// Resolves a token from a URL. Unknown and tampered tokens look the same: unknown.
pub fn resolve(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<LinkState> {
    if token.len() > 100 {
        return Ok(LinkState::Unknown);
    }
    let found: Option<(i64, NaiveDateTime)> = plan_links::table
        .filter(plan_links::token_hash.eq(tokens::hash_token(token)))
        .select((plan_links::plan_id, plan_links::expires_at))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((plan_id, expires_at)) if expires_at > now => LinkState::Valid { plan_id },
        Some(_) => LinkState::Expired,
        None => LinkState::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret_and_the_nonce() {
        let a = token_for(b"secret-one", PURPOSE, "nonce");
        assert_eq!(a, token_for(b"secret-one", PURPOSE, "nonce"));
        assert_ne!(a, token_for(b"secret-two", PURPOSE, "nonce"));
        assert_ne!(a, token_for(b"secret-one", PURPOSE, "other"));
        assert_ne!(a, token_for(b"secret-one", "unsubscribe", "nonce"));
        assert_eq!(a.len(), 43, "256 bits");
    }
}
