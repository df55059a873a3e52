//! Liveness and readiness probes.

use actix_web::{get, web, HttpResponse};
use diesel::{sql_query, RunQueryDsl};

use crate::{db, state::AppState};

/// The process is alive and serving.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers; load balancers stop sending traffic while it does not.
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ready = db::run(&state.pool, |conn| {
        sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await;
    match ready {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "unavailable", "reason": "database unreachable"})),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}
