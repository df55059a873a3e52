//! The customer's data rights and the client's retention period, for clients' systems: a
//! customer asks the client (the controller), and the client asks Outreach.

use actix_web::{get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::store;
use crate::cases::privacy;
use crate::{
    audit,
    auth::api::ApiClient,
    db,
    error::{ApiErrorBody, AppError, AppResult},
    json_body::JsonBody,
    state::AppState,
};

/// Everything held about one of this client's customers: the case, calls and their notes, holds,
/// vulnerability records with their consent, plans, support links and e-mails.
#[utoipa::path(
    tag = "data rights",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "Everything held about the customer", body = Object),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No such case for this client", body = ApiErrorBody),
    )
)]
#[get("/api/v1/cases/{id}/export")]
pub async fn export_case(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (case_id, client_id, actor) = (path.into_inner(), client.client_id, client.actor());
    let document = db::run_write(&state.pool, move |conn| {
        let case = store::find_for_client(conn, client_id, case_id)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("case_exported", "case", Some(case_id)).client(Some(client_id)),
        )?;
        privacy::export(conn, &case)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(document))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Erased {
    pub case_id: i64,
    /// UTC, RFC 3339: when it was erased (the first time, if asked again).
    pub erased_at: String,
}

/// Erases what identifies or describes the customer (name, contact details, notes, vulnerability
/// records, e-mail addresses) and stops all contact; the figures reports count stay. Asking again
/// answers with the first erasure.
#[utoipa::path(
    tag = "data rights",
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "Erased", body = Erased),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 404, description = "No such case for this client", body = ApiErrorBody),
    )
)]
#[post("/api/v1/cases/{id}/erase")]
pub async fn erase_case(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (case_id, client_id, actor, now) = (
        path.into_inner(),
        client.client_id,
        client.actor(),
        state.clock.now_naive(),
    );
    let erased_at = db::run_write(&state.pool, move |conn| {
        let case = store::find_for_client(conn, client_id, case_id)?;
        privacy::erase(conn, actor, &case, privacy::Erasure::Request, now)?;
        privacy::erased_at(conn, case_id)?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("case {case_id} erased without a record"))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Erased {
        case_id,
        erased_at: erased_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}

/// How long this client's finished cases are kept once nothing more happens to them.
#[derive(Serialize, Deserialize, ToSchema, Default)]
pub struct Retention {
    /// Days since anything last happened to a case that is closed, or held because its
    /// customer died (a case under any other hold is kept); `null` keeps cases until erasure
    /// is asked for.
    pub retention_days: Option<i32>,
}

const MAX_RETENTION_DAYS: i32 = 3650;

/// This client's retention period.
#[utoipa::path(
    tag = "data rights",
    responses(
        (status = 200, description = "The retention period", body = Retention),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
    )
)]
#[get("/api/v1/data-retention")]
pub async fn get_retention(
    state: web::Data<AppState>,
    client: ApiClient,
) -> AppResult<HttpResponse> {
    let client_id = client.client_id;
    let retention_days = db::run(&state.pool, move |conn| {
        crate::accounts::store::retention_days(conn, client_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Retention { retention_days }))
}

/// Sets this client's retention period: closed cases older than it are erased within the hour.
#[utoipa::path(
    tag = "data rights",
    request_body = Retention,
    responses(
        (status = 200, description = "Saved", body = Retention),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 422, description = "Out of range", body = ApiErrorBody),
    )
)]
#[put("/api/v1/data-retention")]
pub async fn put_retention(
    state: web::Data<AppState>,
    client: ApiClient,
    body: JsonBody<Retention>,
) -> AppResult<HttpResponse> {
    let retention_days = body.into_inner().retention_days;
    if retention_days.is_some_and(|d| !(1..=MAX_RETENTION_DAYS).contains(&d)) {
        return Err(AppError::field(
            "retention_days",
            format!("must be between 1 and {MAX_RETENTION_DAYS} days, or null to keep cases"),
        ));
    }
    let (client_id, actor) = (client.client_id, client.actor());
    db::run_write(&state.pool, move |conn| {
        crate::accounts::store::set_retention_days(conn, client_id, retention_days)?;
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("retention_set", client_id)
                .detail(retention_days.map_or("none".into(), |d| format!("{d} days"))),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(Retention { retention_days }))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_case)
        .service(erase_case)
        .service(get_retention)
        .service(put_retention);
}
