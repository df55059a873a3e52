//! The customer's data rights, exercised through the client (the controller): everything held
//! about a customer, and erasing it. Erasure keeps what the client's reports count (dates,
//! outcomes, amounts, holds' kinds and dates) and removes what identifies or describes the
//! person: name, contact details, free text, vulnerability records, e-mail addresses and links.

pub mod api;
mod erase;
mod export;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

pub use erase::{
    apply_retention, apply_retention_alone, erase, past_retention, RETENTION_LOCK_KEY,
};
pub use export::export;

use crate::{
    db::{schema::case_erasures, DbConn},
    error::AppResult,
};

/// What an erased customer's name reads as.
pub const ERASED: &str = "(erased)";

/// Why a case was erased.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erasure {
    /// The customer asked, through the client.
    Request,
    /// The client's retention period ran out.
    Retention,
}

impl Erasure {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Erasure::Request => "request",
            Erasure::Retention => "retention",
        }
    }
}

pub(super) fn at(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(super) fn maybe(t: Option<NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| Value::String(at(t)))
}

/// Refuses to record anything more about an erased customer: what was written after the
/// erasure would outlive it (a second request finds the first erasure and erases nothing).
pub fn refuse_if_erased(conn: &mut DbConn, case_id: i64) -> AppResult<()> {
    match erased_at(conn, case_id)? {
        Some(_) => Err(crate::error::AppError::Conflict(
            "This customer's data was erased: nothing more can be recorded about them.".into(),
        )),
        None => Ok(()),
    }
}

/// When the case was erased, if it was.
pub fn erased_at(conn: &mut DbConn, case_id: i64) -> AppResult<Option<NaiveDateTime>> {
    Ok(case_erasures::table
        .find(case_id)
        .select(case_erasures::erased_at)
        .first(conn)
        .optional()?)
}

/// The background round: cases past their client's retention period are erased once an hour,
/// by one instance at a time ([`apply_retention_alone`]), in a task of its own so a long round
/// holds up nothing else (mail least of all).
pub async fn run_retention(state: actix_web::web::Data<crate::state::AppState>) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        if state.is_stopping() {
            return;
        }
        let st = state.clone();
        let erased = crate::db::run(&state.pool, move |conn| {
            apply_retention_alone(conn, st.clock.now_naive(), &|| st.is_stopping())
        })
        .await;
        match erased {
            Ok(None | Some(0)) => {}
            Ok(Some(n)) => tracing::info!(erased = n, "cases erased under retention policies"),
            Err(e) => tracing::warn!(error = %e, "could not apply retention policies"),
        }
    }
}
