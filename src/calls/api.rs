//! The handler's day over JSON, for telephony systems and scripts (personal token). The call
//! pages call the same domain functions.

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{outcome::OutcomeRequest, record};
use crate::{
    auth::api::ApiStaff,
    cases::{self, rfc3339, view::CaseView},
    db,
    error::{ApiErrorBody, AppError, AppResult},
    queue::{self, Claim},
    state::AppState,
};

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ClaimedCall {
    pub case: CaseView,
    /// The claim lasts until then unless renewed (asking for the next call again renews it).
    pub lease_expires_at: Option<String>,
}

/// Claims the next due call (or returns the one this handler already holds).
#[utoipa::path(
    tag = "calls",
    responses(
        (status = 200, description = "The claimed case", body = ClaimedCall),
        (status = 204, description = "Nothing is due"),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 403, description = "Not a handler's token", body = ApiErrorBody),
        (status = 409, description = "On a break", body = ApiErrorBody),
    )
)]
#[post("/api/v1/calls/next")]
pub async fn next_call(state: web::Data<AppState>, staff: ApiStaff) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let (handler_id, actor) = (
        staff.user.id,
        crate::audit::Actor::PersonalToken(staff.credential_id),
    );
    let claim = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            queue::claim_next(
                conn,
                actor,
                handler_id,
                now,
                chrono::Duration::minutes(queue::DEFAULT_LEASE_MINUTES),
            )
        })
    })
    .await?;
    match claim {
        Claim::Claimed(case) => Ok(HttpResponse::Ok().json(ClaimedCall {
            lease_expires_at: case.claim_expires_at.map(rfc3339),
            case: CaseView::from(case.as_ref()),
        })),
        Claim::NothingDue => Ok(HttpResponse::NoContent().finish()),
        Claim::OnBreak { until } => Err(AppError::Conflict(format!(
            "You are on a break until {} UTC. Take the time; the queue will wait.",
            until.format("%H:%M")
        ))),
    }
}

/// Records the outcome of a claimed call; the case's next contact time follows from it.
#[utoipa::path(
    tag = "calls",
    params(("id" = i64, Path, description = "Case id")),
    request_body = OutcomeRequest,
    responses(
        (status = 200, description = "Recorded; the case as it now stands", body = CaseView),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 404, description = "No such case", body = ApiErrorBody),
        (status = 409, description = "The case is not claimed by this handler", body = ApiErrorBody),
        (status = 422, description = "The outcome or its details are wrong; each field is named", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/outcomes")]
pub async fn record_outcome(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<i64>,
    body: web::Json<OutcomeRequest>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let now = state.clock.now();
    let (handler_id, actor) = (
        staff.user.id,
        crate::audit::Actor::PersonalToken(staff.credential_id),
    );
    let request = body.into_inner();
    let recorded = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let case = cases::store::find(conn, case_id)?;
            let (outcome, notes) = request.parse(case.tz(), now).map_err(AppError::fields)?;
            let report = record::CallReport {
                outcome: &outcome,
                notes: notes.as_deref(),
                script_version_id: None,
            };
            record::record(conn, actor, handler_id, case_id, report, now)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(CaseView::from(&recorded.case)))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(next_call).service(record_outcome);
}
