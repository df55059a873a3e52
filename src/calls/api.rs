//! The handler's day over JSON, for telephony systems and scripts (personal token). The call
//! pages call the same domain functions.

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    emergency::EmergencyContact,
    exceptions::{self, ExceptionDecision, ExceptionRequest},
    next_calls,
    outcome::OutcomeRequest,
    record,
    safeguarding::{self, VulnerabilityRequest},
    welfare::{self, DebriefRequest},
};
use crate::{
    auth::api::{ApiStaff, StaffBearer},
    cases::{rfc3339, view::CaseView},
    db,
    error::{ApiErrorBody, AppError, AppResult},
    json_body::JsonBody,
    queue::Claim,
    state::AppState,
};

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ClaimedCall {
    pub case: CaseView,
    /// The script rendered for this case; read `no_payment_statement` first.
    pub script: super::script::RenderedScript,
    /// The claim lasts until then unless renewed: `POST /api/v1/calls/{id}/renew` while the call
    /// goes on. (Asking for the next call again also renews it, while the customer's contact
    /// hours last; once they have ended, that asks for another case and this one goes back on
    /// schedule.)
    pub lease_expires_at: Option<String>,
}

/// A renewed claim.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RenewedClaim {
    /// UTC, RFC 3339: the claim lasts until then unless renewed again.
    pub lease_expires_at: String,
}

/// Keeps this handler's claim on a call still going on, as the call page does while open: for
/// another lease from now, and for up to an hour after the customer's contact hours end so a
/// call begun in them can be finished and its outcome recorded.
#[utoipa::path(
    tag = "calls",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "Renewed", body = RenewedClaim),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 403, description = "Not a handler's token", body = ApiErrorBody),
        (status = 404, description = "No such case", body = ApiErrorBody),
        (status = 409, description = "The claim is no longer this handler's, or the contact hours ended over an hour ago", body = ApiErrorBody),
    )
)]
#[post("/api/v1/calls/{id}/renew")]
pub async fn renew_call(
    state: web::Data<AppState>,
    bearer: StaffBearer,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (case_id, now) = (path.into_inner(), state.clock.now());
    let reference = state.reference.clone();
    let until = bearer
        .run_write(&state, move |conn, staff| {
            let lease = crate::queue::lease();
            crate::queue::renew_call(conn, &reference, staff.user.id, case_id, now, lease)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RenewedClaim {
        lease_expires_at: rfc3339(until),
    }))
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
pub async fn next_call(state: web::Data<AppState>, bearer: StaffBearer) -> AppResult<HttpResponse> {
    let next_calls::NextCall { claim, script } = next_calls::ask(&state, bearer).await?;
    // Rendered with the connection back in the pool: it is the next handler's turn meanwhile.
    match (claim, script) {
        (Claim::Claimed(held), Some(script)) => Ok(HttpResponse::Ok().json(ClaimedCall {
            lease_expires_at: held.case.claim_expires_at.map(rfc3339),
            case: CaseView::from(&held.case),
            script: script.render()?,
        })),
        (Claim::Claimed(_), None) => Err(AppError::Internal(anyhow::anyhow!(
            "claimed without a script"
        ))),
        (Claim::NothingDue, _) => Ok(HttpResponse::NoContent().finish()),
        (Claim::OnBreak { until }, _) => Err(AppError::Conflict(format!(
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
    bearer: StaffBearer,
    path: web::Path<i64>,
    body: JsonBody<OutcomeRequest>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let now = state.clock.now();
    let request = body.into_inner();
    let recorded = bearer
        .run_write(&state, move |conn, staff| {
            record::record_request(conn, staff.actor(), staff.user.id, case_id, &request, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CaseView::from(&recorded.case)))
}

/// Records vulnerability drivers, with the customer's consent.
#[utoipa::path(
    tag = "calls",
    params(("id" = i64, Path, description = "Case id")),
    request_body = VulnerabilityRequest,
    responses(
        (status = 204, description = "Recorded; the case is flagged and rises in the queue"),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 404, description = "No such case", body = ApiErrorBody),
        (status = 422, description = "Drivers, consent or note need correcting", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/vulnerability")]
pub async fn record_vulnerability(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<i64>,
    body: JsonBody<VulnerabilityRequest>,
) -> AppResult<HttpResponse> {
    let (case_id, user_id, actor, now) = (
        path.into_inner(),
        staff.user.id,
        staff.actor(),
        state.clock.now_naive(),
    );
    let request = body.into_inner();
    db::run_write(&state.pool, move |conn| {
        safeguarding::record_vulnerability(conn, actor, user_id, case_id, &request, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EscalationRequest {
    /// `risk_to_life`.
    #[serde(default)]
    pub kind: String,
    pub note: Option<String>,
}

/// Escalates a case. `risk_to_life` puts it on hold at once, alerts supervisors, and answers
/// with the emergency numbers for the customer's region.
#[utoipa::path(
    tag = "calls",
    params(("id" = i64, Path, description = "Case id")),
    request_body = EscalationRequest,
    responses(
        (status = 201, description = "Escalated; emergency contacts for the customer's region", body = [EmergencyContact]),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 404, description = "No such case", body = ApiErrorBody),
        (status = 422, description = "Unknown kind", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/escalations")]
pub async fn escalate(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<i64>,
    body: JsonBody<EscalationRequest>,
) -> AppResult<HttpResponse> {
    let request = body.into_inner();
    if request.kind != "risk_to_life" {
        return Err(AppError::field("kind", "must be risk_to_life"));
    }
    let (case_id, user_id, actor, now) = (
        path.into_inner(),
        staff.user.id,
        staff.actor(),
        state.clock.now_naive(),
    );
    let numbers = db::run_write(&state.pool, move |conn| {
        safeguarding::raise_risk_to_life(
            conn,
            actor,
            user_id,
            case_id,
            request.note.as_deref(),
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(numbers.contacts))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Proposes an out-of-policy arrangement for a second handler to decide.
#[utoipa::path(
    tag = "calls",
    params(("id" = i64, Path, description = "Case id")),
    request_body = ExceptionRequest,
    responses(
        (status = 201, description = "Proposed", body = Created),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 422, description = "Arrangement or reason missing", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/exceptions")]
pub async fn propose_exception(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<i64>,
    body: JsonBody<ExceptionRequest>,
) -> AppResult<HttpResponse> {
    let (case_id, user_id, actor, now) = (
        path.into_inner(),
        staff.user.id,
        staff.actor(),
        state.clock.now_naive(),
    );
    let request = body.into_inner();
    let id = db::run_write(&state.pool, move |conn| {
        exceptions::propose_exception(conn, actor, user_id, case_id, &request, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

/// A second handler approves or declines; approved ones take effect at once and wait for review.
#[utoipa::path(
    tag = "calls",
    params(("id" = i64, Path, description = "Exception id")),
    request_body = ExceptionDecision,
    responses(
        (status = 204, description = "Decided"),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 409, description = "You proposed it, or it was already decided otherwise (the same decision by the same handler again stands: 204)", body = ApiErrorBody),
        (status = 422, description = "Decision must be approve or decline", body = ApiErrorBody),
    )
)]
#[post("/api/v1/exceptions/{id}/decision")]
pub async fn decide_exception(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<i64>,
    body: JsonBody<ExceptionDecision>,
) -> AppResult<HttpResponse> {
    let (id, user_id, actor, now) = (
        path.into_inner(),
        staff.user.id,
        staff.actor(),
        state.clock.now_naive(),
    );
    let decision = body.into_inner().decision;
    db::run_write(&state.pool, move |conn| {
        exceptions::decide_exception(conn, actor, user_id, id, &decision, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A debrief after a difficult call; supervisors see it.
#[utoipa::path(
    tag = "calls",
    request_body = DebriefRequest,
    responses(
        (status = 201, description = "Saved", body = Created),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 422, description = "Empty, too long, carrying payment data, or naming a case that does not exist", body = ApiErrorBody),
    )
)]
#[post("/api/v1/debriefs")]
pub async fn write_debrief(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: JsonBody<DebriefRequest>,
) -> AppResult<HttpResponse> {
    let (user_id, actor, now) = (staff.user.id, staff.actor(), state.clock.now_naive());
    let request = body.into_inner();
    let id = db::run_write(&state.pool, move |conn| {
        welfare::write_debrief(conn, actor, user_id, &request, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(next_call)
        .service(renew_call)
        .service(record_outcome)
        .service(record_vulnerability)
        .service(escalate)
        .service(propose_exception)
        .service(decide_exception)
        .service(write_debrief);
}
