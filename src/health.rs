//! Liveness and readiness probes.

use std::{
    sync::{Arc, Mutex, TryLockError},
    time::Duration,
};

use actix_web::{get, web, HttpResponse};
use diesel::r2d2::R2D2Connection;

use crate::{
    db::{pool::establish, DbConn},
    state::AppState,
};

/// The process is alive and serving.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers; load balancers stop sending traffic while it does not.
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.readiness.database_answers().await {
        HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "unavailable", "reason": "database unreachable"}))
    }
}

/// The readiness probe's own connection to the database, outside the request pool. Asked
/// through the pool, the probe queued behind the requests: a busy instance whose database
/// answered read as "unreachable", and a load balancer would take it out of rotation just when
/// it was needed, moving its load on to the next.
pub struct Readiness {
    url: String,
    wait: Duration,
    /// Kept between probes; `None` until the first or after one failed. Locked while a probe
    /// waits on the database, so a stuck one never piles up threads behind it.
    conn: Arc<Mutex<Option<DbConn>>>,
}

impl Readiness {
    /// Probes answer within `wait` (the configured database timeout).
    pub fn new(url: &str, wait: Duration) -> Readiness {
        Readiness {
            url: url.to_string(),
            wait,
            conn: Arc::default(),
        }
    }

    /// Whether the database answered within the wait. A probe still waiting from before counts
    /// as no answer.
    pub async fn database_answers(&self) -> bool {
        let (conn, url) = (self.conn.clone(), self.url.clone());
        let probe = actix_web::web::block(move || {
            let mut held = match conn.try_lock() {
                Ok(held) => held,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return false,
            };
            if let Some(open) = held.as_mut() {
                if open.ping().is_ok() {
                    return true;
                }
            }
            *held = establish(&url).ok();
            held.as_mut().is_some_and(|fresh| fresh.ping().is_ok())
        });
        matches!(tokio::time::timeout(self.wait, probe).await, Ok(Ok(true)))
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}
