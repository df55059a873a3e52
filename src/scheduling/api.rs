//! A client's contact policy over the API: it may tighten the defaults, never loosen them.

use actix_web::{get, put, web, HttpResponse};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ContactPolicy;
use crate::{
    audit,
    auth::api::ApiClient,
    cases::policy_store,
    db,
    error::{ApiErrorBody, AppError, AppResult, FieldErrors},
    state::AppState,
};

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A contact policy. Omitted fields take the defaults (08:00–20:00, Monday–Saturday, 7 attempts
/// in 7 days, 3 in 24 hours, 4 hours apart, 7 quiet days after a conversation, 12 in all).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    /// Local time, `HH:MM`.
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// Days calls are allowed: `mon` … `sat`.
    pub weekdays: Option<Vec<String>>,
    pub max_attempts_7_days: Option<u32>,
    pub max_attempts_24_hours: Option<u32>,
    pub min_hours_between_attempts: Option<u32>,
    pub quiet_days_after_conversation: Option<u32>,
    pub max_total_attempts: Option<u32>,
}

impl From<&ContactPolicy> for PolicyBody {
    fn from(p: &ContactPolicy) -> Self {
        PolicyBody {
            earliest: Some(p.earliest.format("%H:%M").to_string()),
            latest: Some(p.latest.format("%H:%M").to_string()),
            weekdays: Some(
                DAY_NAMES
                    .iter()
                    .zip(p.weekdays)
                    .filter(|(_, on)| *on)
                    .map(|(d, _)| d.to_string())
                    .collect(),
            ),
            max_attempts_7_days: Some(p.max_attempts_7_days),
            max_attempts_24_hours: Some(p.max_attempts_24_hours),
            min_hours_between_attempts: Some(p.min_hours_between_attempts),
            quiet_days_after_conversation: Some(p.quiet_days_after_conversation),
            max_total_attempts: Some(p.max_total_attempts),
        }
    }
}

impl PolicyBody {
    pub fn parse(self) -> Result<ContactPolicy, FieldErrors> {
        let defaults = ContactPolicy::default();
        let mut errors = FieldErrors::new();
        let mut time = |field: &str, raw: Option<String>, default: NaiveTime| match raw {
            None => default,
            Some(raw) => NaiveTime::parse_from_str(raw.trim(), "%H:%M").unwrap_or_else(|_| {
                errors
                    .entry(field.into())
                    .or_default()
                    .push("must be a time like 09:30".into());
                default
            }),
        };
        let earliest = time("earliest", self.earliest, defaults.earliest);
        let latest = time("latest", self.latest, defaults.latest);
        let weekdays = match self.weekdays {
            None => defaults.weekdays,
            Some(names) => {
                let mut days = [false; 7];
                for name in names {
                    match DAY_NAMES
                        .iter()
                        .position(|d| name.trim().eq_ignore_ascii_case(d))
                    {
                        Some(i) => days[i] = true,
                        None => errors.entry("weekdays".into()).or_default().push(format!(
                            "{name:?} is not a day: use mon, tue, wed, thu, fri or sat"
                        )),
                    }
                }
                days
            }
        };
        let policy = ContactPolicy {
            earliest,
            latest,
            weekdays,
            max_attempts_7_days: self
                .max_attempts_7_days
                .unwrap_or(defaults.max_attempts_7_days),
            max_attempts_24_hours: self
                .max_attempts_24_hours
                .unwrap_or(defaults.max_attempts_24_hours),
            min_hours_between_attempts: self
                .min_hours_between_attempts
                .unwrap_or(defaults.min_hours_between_attempts),
            quiet_days_after_conversation: self
                .quiet_days_after_conversation
                .unwrap_or(defaults.quiet_days_after_conversation),
            max_total_attempts: self
                .max_total_attempts
                .unwrap_or(defaults.max_total_attempts),
        };
        if let Err(looser) = policy.check_not_looser_than(&defaults) {
            for (field, messages) in looser {
                errors.entry(field).or_default().extend(messages);
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

/// This client's contact policy.
#[utoipa::path(
    tag = "policy",
    responses(
        (status = 200, description = "The policy in force", body = PolicyBody),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
    )
)]
#[get("/api/v1/contact-policy")]
pub async fn get_policy(state: web::Data<AppState>, client: ApiClient) -> AppResult<HttpResponse> {
    let client_id = client.client_id;
    let policy = db::run(&state.pool, move |conn| {
        policy_store::policy_for(conn, client_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PolicyBody::from(&policy)))
}

/// Sets this client's contact policy. Stricter than the defaults is fine; looser is refused with
/// the reason for each field. Calls are checked against it from the next claim on.
#[utoipa::path(
    tag = "policy",
    request_body = PolicyBody,
    responses(
        (status = 200, description = "Saved", body = PolicyBody),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 422, description = "Looser than the defaults, or malformed", body = ApiErrorBody),
    )
)]
#[put("/api/v1/contact-policy")]
pub async fn put_policy(
    state: web::Data<AppState>,
    client: ApiClient,
    body: web::Json<PolicyBody>,
) -> AppResult<HttpResponse> {
    let policy = body
        .into_inner()
        .parse()
        .map_err(|fields| AppError::Validation {
            message: "A client's contact policy may be stricter than the defaults, never looser."
                .into(),
            fields,
        })?;
    let (client_id, actor, now) = (client.client_id, client.actor(), state.clock.now_naive());
    let saved = PolicyBody::from(&policy);
    db::run_write(&state.pool, move |conn| {
        policy_store::save_policy(conn, client_id, &policy, now)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("contact_policy_set", "client", Some(client_id))
                .client(Some(client_id)),
        )
    })
    .await?;
    state.reference.forget_policy(client_id);
    Ok(HttpResponse::Ok().json(saved))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_policy).service(put_policy);
}
