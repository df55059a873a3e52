//! A client's contact policy over the API: it may tighten the defaults, never loosen them.

use actix_web::{delete, get, put, web, HttpResponse};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ContactPolicy;
use crate::{
    audit,
    auth::api::ApiClient,
    cases::policy_store,
    db,
    domain::Region,
    error::{ApiErrorBody, AppError, AppResult, FieldErrors},
    json_body::JsonBody,
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
    let policies = db::run(&state.pool, move |conn| {
        policy_store::policies_for(conn, client_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PolicyBody::from(&policies.general)))
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
    body: JsonBody<PolicyBody>,
) -> AppResult<HttpResponse> {
    let policy = body.into_inner().parse().map_err(looser_than_defaults)?;
    let (client_id, actor, now) = (client.client_id, client.actor(), state.clock.now_naive());
    let saved = PolicyBody::from(&policy);
    db::run_write(&state.pool, move |conn| {
        policy_store::save_policy(conn, client_id, policy_store::GENERAL, &policy, now)?;
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("contact_policy_set", client_id),
        )
    })
    .await?;
    state.reference.forget_policy(client_id);
    Ok(HttpResponse::Ok().json(saved))
}

fn looser_than_defaults(fields: FieldErrors) -> AppError {
    AppError::Validation {
        message: "A client's contact policy may be stricter than the defaults, never looser."
            .into(),
        fields,
    }
}

/// A tighter policy for the client's customers in one region.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionPolicyBody {
    /// `US-FL` (ISO 3166-2), `US`, `scotland` …: a country's policy applies in all its regions.
    pub region: String,
    #[serde(flatten)]
    pub policy: PolicyBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionPolicies {
    pub regions: Vec<RegionPolicyBody>,
}

fn region_code(raw: &str) -> AppResult<String> {
    Region::parse(raw)
        .map(|r| r.as_code())
        .map_err(|reason| AppError::field("region", reason))
}

/// This client's regional policies. A customer's calls follow the strictest of the general
/// policy, their region's and their country's.
#[utoipa::path(
    tag = "policy",
    responses(
        (status = 200, description = "The regional policies", body = RegionPolicies),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
    )
)]
#[get("/api/v1/contact-policy/regions")]
pub async fn get_region_policies(
    state: web::Data<AppState>,
    client: ApiClient,
) -> AppResult<HttpResponse> {
    let client_id = client.client_id;
    let policies = db::run(&state.pool, move |conn| {
        policy_store::policies_for(conn, client_id)
    })
    .await?;
    let regions = policies
        .regions
        .iter()
        .map(|(region, policy)| RegionPolicyBody {
            region: region.clone(),
            policy: PolicyBody::from(policy),
        })
        .collect();
    Ok(HttpResponse::Ok().json(RegionPolicies { regions }))
}

/// Sets a tighter policy for one region (e.g. a US state's stricter hours). It can only tighten:
/// calls there follow the strictest of it and the general policy; looser than the defaults is
/// refused. Omitted fields take the defaults, which tighten nothing.
#[utoipa::path(
    tag = "policy",
    params(("region" = String, Path, description = "`US-FL`, `US`, `scotland` …")),
    request_body = PolicyBody,
    responses(
        (status = 200, description = "Saved", body = RegionPolicyBody),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 422, description = "Unknown region, or looser than the defaults", body = ApiErrorBody),
    )
)]
#[put("/api/v1/contact-policy/regions/{region}")]
pub async fn put_region_policy(
    state: web::Data<AppState>,
    client: ApiClient,
    region: web::Path<String>,
    body: JsonBody<PolicyBody>,
) -> AppResult<HttpResponse> {
    let region = region_code(&region)?;
    let policy = body.into_inner().parse().map_err(looser_than_defaults)?;
    let (client_id, actor, now) = (client.client_id, client.actor(), state.clock.now_naive());
    let saved = RegionPolicyBody {
        region: region.clone(),
        policy: PolicyBody::from(&policy),
    };
    db::run_write(&state.pool, move |conn| {
        policy_store::save_policy(conn, client_id, &region, &policy, now)?;
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("region_contact_policy_set", client_id).detail(region),
        )
    })
    .await?;
    state.reference.forget_policy(client_id);
    Ok(HttpResponse::Ok().json(saved))
}

/// Removes a region's policy: its customers follow the general policy again.
#[utoipa::path(
    tag = "policy",
    params(("region" = String, Path, description = "`US-FL`, `US`, `scotland` …")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No policy for that region", body = ApiErrorBody),
    )
)]
#[delete("/api/v1/contact-policy/regions/{region}")]
pub async fn delete_region_policy(
    state: web::Data<AppState>,
    client: ApiClient,
    region: web::Path<String>,
) -> AppResult<HttpResponse> {
    let region = region_code(&region)?;
    let (client_id, actor) = (client.client_id, client.actor());
    db::run_write(&state.pool, move |conn| {
        if !policy_store::delete_region_policy(conn, client_id, &region)? {
            return Err(AppError::NotFound);
        }
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("region_contact_policy_removed", client_id).detail(region),
        )
    })
    .await?;
    state.reference.forget_policy(client_id);
    Ok(HttpResponse::NoContent().finish())
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_policy)
        .service(put_policy)
        .service(get_region_policies)
        .service(put_region_policy)
        .service(delete_region_policy);
}
