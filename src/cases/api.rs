//! Holds from the client's side: a creditor receives Breathing Space notices, hears of disputes
//! and deaths, and is told "do not contact me"; it passes them on here and calls stop at once.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::{hold_requests, holds, store, view::CaseView};
use crate::{
    audit,
    auth::api::ApiClient,
    db,
    error::{ApiErrorBody, AppResult},
    json_body::JsonBody,
    state::AppState,
};

/// A hold on one of the client's cases.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct HoldView {
    pub id: i64,
    /// `breathing_space`, `breathing_space_mental_health`, `dispute`, `deceased`,
    /// `do_not_contact`, or `welfare`: contact stopped for the customer's welfare after
    /// something they told a handler (what it was stays with the service).
    pub kind: String,
    /// UTC, RFC 3339.
    pub starts_at: String,
    /// When it ends by itself; `null` until lifted.
    pub ends_at: Option<String>,
    pub lifted_at: Option<String>,
}

fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Holds a handler places for what the customer disclosed on a call (a risk to their life, a
/// vulnerability): health, shared with the service and not with the creditor, who is told only
/// that contact stopped for their welfare.
const DISCLOSED_ON_A_CALL: [&str; 2] = ["risk_to_life", "vulnerability_escalated"];

impl From<holds::HoldRow> for HoldView {
    // The note stays with the service: a handler or supervisor may have written it.
    fn from(row: holds::HoldRow) -> Self {
        let kind = if DISCLOSED_ON_A_CALL.contains(&row.kind.as_str()) {
            "welfare".to_string()
        } else {
            row.kind
        };
        HoldView {
            id: row.id,
            kind,
            starts_at: rfc3339(row.starts_at),
            ends_at: row.ends_at.map(rfc3339),
            lifted_at: row.lifted_at.map(rfc3339),
        }
    }
}

/// The case and its holds after a change.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct CaseHolds {
    pub case: CaseView,
    pub holds: Vec<HoldView>,
}

fn case_holds(conn: &mut db::DbConn, client_id: i64, case_id: i64) -> AppResult<CaseHolds> {
    let case = store::find_for_client(conn, client_id, case_id)?;
    let holds = holds::for_case(conn, case_id)?;
    Ok(CaseHolds {
        case: CaseView::from(&case),
        holds: holds.into_iter().map(HoldView::from).collect(),
    })
}

/// Places a hold on one of this client's cases: no contact from that moment (a call under way
/// loses its claim). `deceased` also closes the case.
#[utoipa::path(
    tag = "holds",
    params(("id" = i64, Path, description = "Case id")),
    request_body = hold_requests::HoldRequest,
    responses(
        (status = 201, description = "Placed; the case and its holds", body = CaseHolds),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No such case for this client", body = ApiErrorBody),
        (status = 409, description = "The customer's data was erased: nothing more is recorded about them", body = ApiErrorBody),
        (status = 422, description = "Kind, start or note need correcting; each is named", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/holds")]
pub async fn place_hold(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<i64>,
    body: JsonBody<hold_requests::HoldRequest>,
) -> AppResult<HttpResponse> {
    let (case_id, client_id, actor, now) = (
        path.into_inner(),
        client.client_id,
        client.actor(),
        state.clock.now(),
    );
    let request = body.into_inner();
    let answer = db::run_write(&state.pool, move |conn| {
        let case = store::find_for_client(conn, client_id, case_id)?;
        hold_requests::place(conn, actor, &case, &request, None, now)?;
        case_holds(conn, client_id, case_id)
    })
    .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// A case's holds, newest first.
#[utoipa::path(
    tag = "holds",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case and its holds", body = CaseHolds),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No such case for this client", body = ApiErrorBody),
    )
)]
#[get("/api/v1/cases/{id}/holds")]
pub async fn list_holds(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (case_id, client_id, actor) = (path.into_inner(), client.client_id, client.actor());
    let answer = db::run(&state.pool, move |conn| {
        let answer = case_holds(conn, client_id, case_id)?;
        // The answer carries the case itself: a read of it, audited as `GET /api/v1/cases/{id}` is.
        audit::record(
            conn,
            actor,
            audit::Entry::new("case_viewed", "case", Some(case_id)).client(Some(client_id)),
        )?;
        Ok(answer)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Lifts a hold (a dispute resolved, a Breathing Space cancelled); the case is scheduled again
/// under the rules. For a mental-health crisis Breathing Space this records that treatment
/// ended: the protection runs 30 more days (`ends_at`), and a second lift is a 409. Holds staff
/// placed for the customer's safety (risk to life, escalated vulnerability), and a "do not
/// contact" the customer asked Outreach for, are a 409 too: only an Outreach supervisor lifts
/// those.
#[utoipa::path(
    tag = "holds",
    params(
        ("id" = i64, Path, description = "Case id"),
        ("hold_id" = i64, Path, description = "Hold id"),
    ),
    responses(
        (status = 200, description = "Lifted; the case and its holds", body = CaseHolds),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No such case or hold for this client", body = ApiErrorBody),
        (status = 409, description = "Treatment's end was already recorded, or staff placed this hold for the customer's safety or at their request", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/holds/{hold_id}/lift")]
pub async fn lift_hold(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let ((case_id, hold_id), client_id, actor, now) = (
        path.into_inner(),
        client.client_id,
        client.actor(),
        state.clock.now(),
    );
    let answer = db::run_write(&state.pool, move |conn| {
        let case = store::find_for_client(conn, client_id, case_id)?;
        hold_requests::lift(
            conn,
            actor,
            hold_requests::Lifter::Client,
            &case,
            hold_id,
            now,
        )?;
        case_holds(conn, client_id, case_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(place_hold)
        .service(list_holds)
        .service(lift_hold);
}
