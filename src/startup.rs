//! Building and running the application: used by `main` and by the integration tests alike
//! (tests bind port 0 and read the port back).

use std::net::TcpListener;

use actix_web::{
    dev::Server,
    middleware::{from_fn, ErrorHandlers},
    web, App, HttpResponse, HttpServer,
};
use anyhow::Context;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::{
    accounts, auth, config::Config, db, demo, error::AppError, health, metrics, openapi,
    payment_guard, state::AppState, telemetry, web as pages,
};

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

/// Opens the pool and brings the schema up to date. Several instances may call this at once.
pub async fn prepare_database(config: &Config) -> anyhow::Result<db::Pool> {
    if db::Backend::of_url(&config.database_url) == db::Backend::Sqlite {
        if let Some(parent) = std::path::Path::new(&config.database_url).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
        }
    }
    let pool = db::pool::build_pool(&config.database_url, config.pool_size, config.db_timeout)?;
    let migrate_pool = pool.clone();
    let applied = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn = migrate_pool.get().context("connecting to the database")?;
        db::migrate::run_pending(&mut conn)
    })
    .await??;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(pool)
}

impl Application {
    /// Migrates the database, seeds demo data when asked, and binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let pool = prepare_database(&config).await?;
        Self::serve(config, pool).await
    }

    /// Binds the port and builds the server around an existing pool.
    pub async fn serve(config: Config, pool: db::Pool) -> anyhow::Result<Self> {
        if config.demo {
            let seed_pool = pool.clone();
            let base_url = config.base_url.clone();
            let data_dir = config.data_dir.clone();
            tokio::task::spawn_blocking(move || {
                demo::seed_if_empty(&seed_pool, &base_url, &data_dir)
            })
            .await??;
        }
        let templates = pages::load_templates()?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        let mut config = config;
        if config.base_url.is_empty() {
            config.base_url = format!("http://127.0.0.1:{port}");
        }
        let http_workers = config.http_workers;
        let secure_cookies = config.secure_cookies;
        let state = web::Data::new(AppState::new(pool, templates, config));
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .app_data(app_state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(crate::json_body::MAX_BODY_BYTES)
                        .error_handler(|err, _| crate::json_body::unreadable_json(err).into()),
                )
                .app_data(web::PayloadConfig::new(crate::json_body::MAX_BODY_BYTES))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    AppError::bad_request(format!(
                        "The query string is not valid: {}",
                        payment_guard::quotable(err.to_string())
                    ))
                    .into()
                }))
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()),
                )
                .wrap(from_fn(auth::csrf::ensure_cookie))
                .wrap(ErrorHandlers::new().default_handler(pages::errors::html_errors))
                // Outside the error pages, which are fresh responses: they carry them too.
                .wrap(pages::headers::security_headers(secure_cookies))
                .wrap(from_fn(metrics::record))
                .wrap(from_fn(telemetry::request_context))
                .into_utoipa_app()
                .openapi(openapi::ApiDoc::openapi())
                .configure(openapi::api_routes)
                .openapi_service(|doc| {
                    web::resource("/api/openapi.json").route(web::get().to(move || {
                        let doc = doc.clone();
                        async move { HttpResponse::Ok().json(doc) }
                    }))
                })
                .split_for_parts();
            app.configure(health::configure)
                .route("/metrics", web::get().to(metrics::serve))
                .route("/static/app.css", web::get().to(pages::stylesheet))
                .route(
                    "/static/keep-call.js",
                    web::get().to(pages::keep_call_script),
                )
                .route(
                    "/static/form-errors.js",
                    web::get().to(pages::form_errors_script),
                )
                .configure(auth::routes::configure)
                .configure(auth::password_change::configure)
                .configure(accounts::routes::configure)
                .configure(crate::portal::configure)
                .configure(crate::calls::pages::configure)
                .configure(crate::supervisor::configure)
                .configure(crate::plans::pages::configure)
                .configure(crate::plans::unsubscribe::configure)
                .configure(crate::support::pages::configure)
                .configure(crate::support::directory_pages::configure)
                .configure(crate::reports::pages::configure)
                .configure(crate::scheduling::holiday_pages::configure)
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(AppError::NotFound)
                }))
        })
        .listen(listener)?
        // Signals are handled in `run_until_stopped`, which tells background work first.
        .disable_signals()
        .shutdown_timeout(30);
        if http_workers > 0 {
            server = server.workers(http_workers);
        }
        if state.config.run_workers {
            let transport = std::sync::Arc::new(crate::mail::transport::Transport::from_config(
                &state.config,
            )?);
            tokio::spawn(crate::mail::worker::run(state.clone(), transport));
            tokio::spawn(crate::cases::privacy::run_retention(state.clone()));
        }
        Ok(Application {
            port,
            server: server.run(),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM or SIGINT; in-flight requests get up to 30 seconds to finish, and
    /// background work starts nothing new from the moment the signal comes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(port = self.port, "outreach is serving");
        let (server, state) = (self.server.handle(), self.state.clone());
        tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: finishing requests and the e-mail being sent");
            state
                .stopping
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tokio::spawn(async {
                stop_signal().await;
                tracing::warn!("a second stop signal: stopping now");
                std::process::exit(130);
            });
            server.stop(true).await;
        });
        self.server.await
    }
}

/// SIGTERM (how service managers and orchestrators stop a process) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
