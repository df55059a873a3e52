//! Recording a plan over the API (handler's personal token).

use actix_web::{post, web, HttpResponse};

use super::{terms::PlanRequest, PlanView};
use crate::{
    auth::api::ApiStaff,
    db,
    error::{ApiErrorBody, AppResult},
    json_body::JsonBody,
    state::AppState,
};

/// Records the amount the customer chose as a new plan version and e-mails it to them to confirm.
#[utoipa::path(
    tag = "plans",
    params(("id" = i64, Path, description = "Case id")),
    request_body = PlanRequest,
    responses(
        (status = 201, description = "Recorded; awaiting the customer's confirmation", body = PlanView),
        (status = 200, description = "The same terms sent again within ten minutes, before the customer answered: the plan already recorded (no second e-mail)", body = PlanView),
        (status = 401, description = "Missing or unknown token", body = ApiErrorBody),
        (status = 404, description = "No such case", body = ApiErrorBody),
        (status = 422, description = "Amount, frequency, date or e-mail need correcting", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/plans")]
pub async fn create_plan(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<i64>,
    body: JsonBody<PlanRequest>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (user_id, actor, now) = (staff.user.id, staff.actor(), state.clock.now());
    let st = state.clone();
    let request = body.into_inner();
    let (plan, new) = db::run_write(&state.pool, move |conn| {
        super::propose(
            conn,
            actor,
            user_id,
            case_id,
            request,
            now,
            super::links::LinkSettings::of(&st.config),
        )
    })
    .await?;
    Ok(match new {
        true => HttpResponse::Created().json(plan),
        false => HttpResponse::Ok().json(plan),
    })
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_plan);
}
