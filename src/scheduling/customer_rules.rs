//! One customer's contact rules in one place: the questions the queue and the call page ask of
//! them about "now".

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{rules, ContactHistory, ContactPolicy, HolidayCalendar};

/// The client's policy for the customer's region, every zone the customer may be in, and their
/// region's holidays.
pub struct CustomerRules {
    pub policy: ContactPolicy,
    pub zones: Vec<Tz>,
    pub holidays: Arc<HolidayCalendar>,
}

impl CustomerRules {
    /// Whether a call may start now, given the case's history (see [`rules::may_call_now`]).
    pub fn may_call_now(&self, history: &ContactHistory, now: DateTime<Utc>) -> bool {
        rules::may_call_now(&self.policy, &self.zones, &self.holidays, history, now)
    }

    /// When the contact hours the customer is in now close (see [`rules::hours_close`]).
    pub fn hours_close(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        rules::hours_close(&self.policy, &self.zones, &self.holidays, now)
    }

    /// Whether a call begun in the hours may still be going on (see [`rules::call_may_continue`]).
    pub fn call_may_continue(&self, now: DateTime<Utc>) -> bool {
        rules::call_may_continue(&self.policy, &self.zones, &self.holidays, now)
    }
}
