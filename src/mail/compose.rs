//! What each kind of e-mail says: the template context, built when the message is sent.

use serde_json::Value;

use super::outbox::{kind, OutboxRow};
use crate::{
    cases,
    db::DbConn,
    error::{AppError, AppResult},
    plans::{self, links},
    state::AppState,
};

pub const UNSUBSCRIBE_PURPOSE: &str = "unsubscribe";

/// Whether a kind goes to customers (and so honours their request to stop e-mails).
pub fn to_customer(kind: &str) -> bool {
    kind != kind::SUPERVISOR_ALERT && kind != kind::CLIENT_REPORT
}

/// The token in a message's stop-e-mails link, derived from the server secret and the message.
pub fn unsubscribe_token(secret: &[u8], row: &OutboxRow) -> String {
    links::token_for(secret, UNSUBSCRIBE_PURPOSE, &row.message_id)
}

pub fn unsubscribe_url(state: &AppState, row: &OutboxRow) -> String {
    let token = unsubscribe_token(&state.config.session_key, row);
    format!("{}/unsubscribe/{}/{token}", state.config.base_url, row.id)
}

/// The address a mail program posts to when the customer presses its own "unsubscribe"
/// button (`List-Unsubscribe`, RFC 8058): no page and no form, so no form token either; the
/// signed path is what proves the message was theirs.
pub fn one_click_unsubscribe_url(state: &AppState, row: &OutboxRow) -> String {
    format!("{}/one-click", unsubscribe_url(state, row))
}

pub fn context(conn: &mut DbConn, state: &AppState, row: &OutboxRow) -> AppResult<tera::Context> {
    let payload: Value =
        serde_json::from_str(&row.payload).map_err(|e| AppError::Internal(e.into()))?;
    let mut context = tera::Context::new();
    context.insert("base_url", &state.config.base_url);
    if to_customer(&row.kind) {
        context.insert("unsubscribe_url", &unsubscribe_url(state, row));
    }
    let case = match row.case_id {
        Some(id) => Some(cases::store::find(conn, id)?),
        None => None,
    };
    if let Some(case) = &case {
        context.insert("case_id", &case.id);
    }
    match row.kind.as_str() {
        kind::PLAN_CONFIRMATION => {
            let plan_id = payload["plan_id"].as_i64().unwrap_or_default();
            let link_id = payload["link_id"].as_i64().unwrap_or_default();
            let plan = plans::store::find(conn, plan_id)?;
            let (token, expires_at) = links::token_of(conn, &state.config.link_secrets(), link_id)?;
            // Said as the link's own last day, in the customer's zone: a message sent late (after
            // a mail outage, requeued) must not promise the days the link had when it was made,
            // and one whose link has run out is not sent at all.
            if expires_at <= state.clock.now_naive() {
                return Err(AppError::Conflict(
                    "its plan link ran out before it could be sent".into(),
                ));
            }
            let zone = case
                .as_ref()
                .map_or(chrono_tz::Europe::London, |case| case.tz());
            let last_day = expires_at.and_utc().with_timezone(&zone);
            context.insert("plan_in_words", &plan.in_words());
            context.insert("plan_url", &format!("{}/p/{token}", state.config.base_url));
            context.insert(
                "link_until",
                &last_day.format("%A %-d %B, %H:%M %Z").to_string(),
            );
        }
        kind::CLIENT_REPORT => {
            for key in ["client", "period", "from", "to", "totals"] {
                context.insert(key, &payload[key]);
            }
        }
        kind::SUPERVISOR_ALERT => {
            context.insert(
                "alert_kind",
                &payload["kind"]
                    .as_str()
                    .unwrap_or("escalation")
                    .replace('_', " "),
            );
        }
        _ => {}
    }
    // What a customer's message says to them. Only for theirs: composing it records the support
    // links it carries as sent by e-mail, and a supervisor's alert about the case sends none.
    // Last, once the message is known to be sendable (a plan link that ran out fails it above),
    // so links are not recorded as sent in a message that never goes.
    if let Some(case) = case.as_ref().filter(|_| to_customer(&row.kind)) {
        context.insert("first_name", case.first_name());
        context.insert(
            "client",
            &crate::accounts::store::client_contact(conn, case.client_id)?,
        );
        let directory = state.reference.directory(conn)?;
        let support = crate::support::for_customer(
            conn,
            &directory,
            case,
            "email",
            &state.config.base_url,
            state.clock.now_naive(),
        )?;
        context.insert("support", &support);
    }
    Ok(context)
}
