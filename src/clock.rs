//! The service's notion of "now". Production reads the system clock; tests pin it so contact
//! rules (which depend on the hour and the weekday) give the same answers on any day.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDateTime, Utc};

#[derive(Default)]
pub struct Clock {
    pinned: Mutex<Option<DateTime<Utc>>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let pinned = *self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        pinned.unwrap_or_else(Utc::now)
    }

    /// `now()` as stored in the database (UTC, without zone).
    pub fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Pins the clock (tests and benchmarks only).
    pub fn pin(&self, at: DateTime<Utc>) {
        *self.pinned.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }
}
