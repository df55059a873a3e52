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
}

impl AppState {
    pub fn new(pool: Pool, templates: tera::Tera, config: Config) -> Self {
        let cookie_key = Key::from(&config.session_key[..64]);
        AppState {
            pool,
            templates,
            config,
            cookie_key,
            metrics: Metrics::default(),
            clock: Clock::default(),
            promotion: Default::default(),
        }
    }
}
