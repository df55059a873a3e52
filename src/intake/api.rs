//! Referral and case routes for clients' integrations (client API key).

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{referral::ReferralRequest, Intake, Referred};
use crate::{
    audit,
    auth::api::ApiClient,
    cases::{store, view::CaseView},
    db,
    error::{ApiErrorBody, AppError, AppResult},
    state::AppState,
};

/// At most this many referrals in one request; larger sets go through CSV import.
pub const MAX_BATCH: usize = 1000;

/// Either one referral or an array of them.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = ReferralPayload)]
pub enum ReferralPayload {
    One(Box<ReferralRequest>),
    Many(Vec<ReferralRequest>),
}

/// One item of a batch answer: `status` is what a single request would have answered.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct BatchItem {
    pub index: usize,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorBody>,
}

#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<BatchItem>,
}

async fn refer_one(
    state: &AppState,
    client: &ApiClient,
    item: Value,
) -> AppResult<(u16, CaseView)> {
    let referral = ReferralRequest::parse_json(item)
        .ok_or_else(|| AppError::bad_request("Each referral must be a JSON object."))?
        .map_err(AppError::fields)?;
    let (client_id, actor) = (client.client_id, client.actor());
    let now = state.clock.now();
    db::run_write(&state.pool, move |conn| {
        let mut intake = Intake::for_client(conn, client_id)?;
        Ok(match intake.refer(conn, actor, referral, now)? {
            Referred::Created(case) => (201, CaseView::from(&case)),
            Referred::AlreadyReferred(case) => (200, CaseView::from(&case)),
        })
    })
    .await
}

/// Refer one customer (a JSON object) or several (a JSON array, answered per item).
#[utoipa::path(
    tag = "referrals",
    request_body(content = ReferralPayload, description = "One referral, or an array of up to 1000"),
    responses(
        (status = 201, description = "Referred; the new case", body = CaseView),
        (status = 200, description = "This reference was already referred: the existing case (or, for an array, one answer per item)", body = BatchAnswer),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 403, description = "Not a client API key", body = ApiErrorBody),
        (status = 422, description = "A field is missing or wrong; each is named", body = ApiErrorBody),
    )
)]
#[post("/api/v1/referrals")]
pub async fn create_referrals(
    state: web::Data<AppState>,
    client: ApiClient,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    match body.into_inner() {
        Value::Array(items) => {
            if items.len() > MAX_BATCH {
                return Err(AppError::bad_request(format!(
                    "At most {MAX_BATCH} referrals per request; use CSV import for more."
                )));
            }
            let mut results = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                results.push(match refer_one(&state, &client, item).await {
                    Ok((status, case)) => BatchItem {
                        index,
                        status,
                        case: Some(case),
                        error: None,
                    },
                    Err(err @ AppError::Validation { .. }) => BatchItem {
                        index,
                        status: 422,
                        case: None,
                        error: Some(err.body()),
                    },
                    Err(other) => return Err(other),
                });
            }
            Ok(HttpResponse::Ok().json(BatchAnswer { results }))
        }
        item @ Value::Object(_) => {
            let (status, case) = refer_one(&state, &client, item).await?;
            let mut response = if status == 201 {
                HttpResponse::Created()
            } else {
                HttpResponse::Ok()
            };
            Ok(response.json(case))
        }
        _ => Err(AppError::bad_request(
            "Send one referral as a JSON object, or several as an array.",
        )),
    }
}

/// One of this client's cases. Other clients' cases are not found.
#[utoipa::path(
    tag = "referrals",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No such case for this client", body = ApiErrorBody),
    )
)]
#[get("/api/v1/cases/{id}")]
pub async fn get_case(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (client_id, actor) = (client.client_id, client.actor());
    let case = db::run(&state.pool, move |conn| {
        let case = store::find_for_client(conn, client_id, case_id)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("case_viewed", "case", Some(case_id)).client(Some(client_id)),
        )?;
        Ok(case)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CaseView::from(&case)))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_referrals).service(get_case);
}
