//! Prometheus metrics without a metrics crate: request counts and latency histograms by route
//! pattern (never by raw path, so ids do not explode the series), and pool use at scrape time.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex, time::Instant};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web, Error, HttpResponse,
};

use crate::{db::Pool, state::AppState};

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let entry = series
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bucket, le) in entry.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= le {
                *bucket += 1;
            }
        }
    }

    /// The text exposition format.
    pub fn render(&self, pool: &Pool) -> String {
        let mut out = String::new();
        out.push_str("# HELP outreach_http_requests_total HTTP requests served.\n");
        out.push_str("# TYPE outreach_http_requests_total counter\n");
        let series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        for ((method, route, status), s) in series.iter() {
            let _ = writeln!(
                out,
                "outreach_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP outreach_http_request_duration_seconds Time to serve a request.\n");
        out.push_str("# TYPE outreach_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in series.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            for (le, count) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "outreach_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "outreach_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "outreach_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "outreach_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        let state = pool.state();
        let _ = writeln!(
            out,
            "# HELP outreach_db_pool_connections Open database connections."
        );
        let _ = writeln!(out, "# TYPE outreach_db_pool_connections gauge");
        let _ = writeln!(out, "outreach_db_pool_connections {}", state.connections);
        let _ = writeln!(
            out,
            "# HELP outreach_db_pool_idle_connections Idle database connections."
        );
        let _ = writeln!(out, "# TYPE outreach_db_pool_idle_connections gauge");
        let _ = writeln!(
            out,
            "outreach_db_pool_idle_connections {}",
            state.idle_connections
        );
        let _ = writeln!(
            out,
            "# HELP outreach_db_pool_max_connections Pool size limit."
        );
        let _ = writeln!(out, "# TYPE outreach_db_pool_max_connections gauge");
        let _ = writeln!(out, "outreach_db_pool_max_connections {}", pool.max_size());
        out
    }
}

/// A request's method as a label: anyone can send a made-up method, and each would otherwise
/// become a series of its own, kept for ever.
fn method_label(method: &actix_web::http::Method) -> String {
    use actix_web::http::Method;
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    if known.contains(method) {
        method.to_string()
    } else {
        "OTHER".to_string()
    }
}

/// Records every request under its route pattern; unmatched paths share one label.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = method_label(req.method());
    let response = next.call(req).await?;
    if let Some(state) = state {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        state.metrics.observe(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// The metrics in Prometheus' text format; see `Config::metrics_token` for who may read them.
pub async fn serve(state: web::Data<AppState>, req: actix_web::HttpRequest) -> HttpResponse {
    if let Some(expected) = &state.config.metrics_token {
        let given = crate::auth::api::bearer(&req).unwrap_or_default();
        if !crate::auth::tokens::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return HttpResponse::Unauthorized()
                .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
                .finish();
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.pool))
}
