//! What every request handler can reach.

use actix_web::cookie::Key;

use crate::{clock::Clock, config::Config, db::Pool, metrics::Metrics};

pub struct AppState {
    pub pool: Pool,
    pub templates: tera::Tera,
    pub config: Config,
    pub cookie_key: Key,
    pub metrics: Metrics,
    pub clock: Clock,
    pub promotion: crate::queue::PromotionThrottle,
    /// Policies, calendars, script and directory, cached per instance for the claim path.
    pub reference: std::sync::Arc<crate::reference::Reference>,
    /// Bearer credentials recently verified.
    pub credentials: crate::auth::api::CredentialCache,
    /// Handlers waiting for their next call, answered in batches.
    pub next_calls: crate::calls::next_calls::NextCalls,
    /// Customer link routes, per address.
    pub link_limiter: crate::rate_limit::RateLimiter,
    /// Failed sign-ins, per address, across all accounts (credential stuffing).
    pub login_limiter: crate::rate_limit::RateLimiter,
    pub readiness: crate::health::Readiness,
    /// Set when the instance is asked to stop: background work starts nothing new (a message
    /// not yet sent goes back for another instance), so it is done inside the stop's grace period.
    pub stopping: std::sync::atomic::AtomicBool,
}

impl AppState {
    pub fn new(pool: Pool, templates: tera::Tera, config: Config) -> Self {
        let cookie_key = Key::from(&config.session_key[..64]);
        let link_limiter = crate::rate_limit::RateLimiter::new(
            config.link_rate_limit,
            std::time::Duration::from_secs(60),
        );
        let readiness = crate::health::Readiness::new(&config.database_url, config.db_timeout);
        AppState {
            pool,
            templates,
            config,
            cookie_key,
            metrics: Metrics::default(),
            clock: Clock::default(),
            promotion: Default::default(),
            reference: Default::default(),
            credentials: crate::reference::TtlMap::new(crate::auth::api::CREDENTIALS_FRESH_FOR),
            next_calls: Default::default(),
            link_limiter,
            login_limiter: crate::rate_limit::RateLimiter::new(
                crate::auth::login::FAILURES_PER_ADDRESS,
                crate::auth::login::FAILURE_WINDOW,
            ),
            readiness,
            stopping: Default::default(),
        }
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }
}
