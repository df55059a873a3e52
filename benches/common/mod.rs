//! What the benchmarks share: a fresh PostgreSQL database, the app on it, and latency figures.

#![allow(dead_code)]

use std::time::Duration;

use diesel::{connection::SimpleConnection, Connection, PgConnection};

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A database of the benchmark's own on the server in `OUTREACH_BENCH_POSTGRES_URL`, dropped
/// with this value (a million-row benchmark leaves gigabytes otherwise).
pub struct BenchDatabase {
    pub url: String,
    server_url: String,
    name: String,
}

/// A new database; `None` (with a message) when `OUTREACH_BENCH_POSTGRES_URL` is unset.
pub fn fresh_database(prefix: &str) -> Option<BenchDatabase> {
    let Ok(server_url) = std::env::var("OUTREACH_BENCH_POSTGRES_URL") else {
        eprintln!("Set OUTREACH_BENCH_POSTGRES_URL (a PostgreSQL server URL; a database is created on it).");
        return None;
    };
    let name = format!("{prefix}_{}", std::process::id());
    PgConnection::establish(&server_url)
        .expect("connecting to the benchmark server")
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("creating the benchmark database");
    // Keep any connection options (`?sslmode=disable` for a server on the same host).
    let (base, options) = server_url.split_once('?').unwrap_or((&server_url, ""));
    let cut = base.rfind('/').expect("database URL has a path");
    let options = if options.is_empty() {
        String::new()
    } else {
        format!("?{options}")
    };
    let url = format!("{}/{name}{options}", &base[..cut]);
    Some(BenchDatabase {
        url,
        server_url,
        name,
    })
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        // FORCE: the benchmark's app may still hold pooled connections.
        let dropped = PgConnection::establish(&self.server_url).map(|mut conn| {
            conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
        });
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the benchmark database {}", self.name);
        }
    }
}

/// The service's configuration for a benchmark run against `url`.
pub fn config(url: &str) -> outreach::config::Config {
    let mut cfg = outreach::config::Config::from_env().expect("configuration");
    cfg.database_url = url.to_string();
    cfg.bind = "127.0.0.1:0".into();
    cfg.demo = false;
    cfg.run_workers = false;
    cfg.pool_size = env_or("OUTREACH_BENCH_POOL_SIZE", 40);
    cfg.base_url = String::new();
    cfg
}

/// The service running on its own runtime, as the benchmarks drive it.
pub struct Running {
    pub runtime: tokio::runtime::Runtime,
    pub state: actix_web::web::Data<outreach::state::AppState>,
    /// `http://127.0.0.1:<port>`
    pub address: String,
}

/// Builds and starts the service with `config` on a new multi-threaded runtime.
pub fn start(config: outreach::config::Config) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let app = runtime
        .block_on(outreach::startup::Application::build(config))
        .expect("the service starts");
    let state = app.state();
    let address = format!("http://127.0.0.1:{}", app.port());
    runtime.spawn(app.run_until_stopped());
    Running {
        runtime,
        state,
        address,
    }
}

pub struct Stats {
    pub seconds: f64,
    pub latencies: Vec<Duration>,
}

/// Every worker task's latencies, once all have finished.
pub async fn joined(workers: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("a benchmark worker panicked"));
    }
    latencies
}

impl Stats {
    /// What was measured, over the time since `started`.
    pub fn since(started: std::time::Instant, latencies: Vec<Duration>) -> Self {
        Stats {
            seconds: started.elapsed().as_secs_f64(),
            latencies,
        }
    }

    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        let mut l = self.latencies.clone();
        l.sort();
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    }

    /// A Markdown table row: what, count, rate, p50, p99.
    pub fn row(&self, what: &str) -> String {
        format!(
            "| {what} | {} | {:.0}/s | {:.2} ms | {:.2} ms |",
            self.latencies.len(),
            self.per_second(),
            self.percentile_ms(0.50),
            self.percentile_ms(0.99)
        )
    }
}
