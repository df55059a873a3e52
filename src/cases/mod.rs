//! A referred customer's case: its state, history and schedule. Intake creates cases, the queue
//! hands them out, calls record what happened; all of them go through these functions.

pub mod api;
pub mod history;
pub mod hold_requests;
pub mod holds;
pub mod policy_store;
pub mod privacy;
pub mod schedule;
pub mod store;
pub mod view;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::{Queryable, QueryableByName, Selectable};
use serde::Serialize;

use crate::{
    db::schema::cases,
    error::{AppError, AppResult},
};

/// Where a case is in the programme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Due for a call now.
    Queued,
    /// A handler holds it under a lease.
    Claimed,
    /// Waiting for its next allowed contact time.
    Scheduled,
    /// A hold stops contact.
    OnHold,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Queued => "queued",
            CaseStatus::Claimed => "claimed",
            CaseStatus::Scheduled => "scheduled",
            CaseStatus::OnHold => "on_hold",
            CaseStatus::Closed => "closed",
        }
    }
}

/// Queue priority bands, lowest first.
pub mod priority {
    pub const CALLBACK: i32 = 0;
    pub const VULNERABLE: i32 = 1;
    pub const STANDARD: i32 = 2;

    pub fn band(callback_pending: bool, vulnerable: bool) -> i32 {
        if callback_pending {
            CALLBACK
        } else if vulnerable {
            VULNERABLE
        } else {
            STANDARD
        }
    }
}

#[derive(Queryable, QueryableByName, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: i64,
    pub client_id: i64,
    pub reference: String,
    pub customer_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub region: String,
    /// The customer's own IANA zone, then any other zones they may be in (an address in one, a
    /// phone number from another), space-separated. See `tz` and `zones`.
    pub timezone: String,
    pub amount_owed_minor: i64,
    pub currency: String,
    pub days_in_arrears: i32,
    pub arrears_since: NaiveDate,
    pub notes: Option<String>,
    pub circumstances: Option<String>,
    pub preferred_contact_times: Option<String>,
    pub status: String,
    pub closed_reason: Option<String>,
    pub vulnerable: bool,
    pub priority_band: i32,
    pub next_contact_at: Option<NaiveDateTime>,
    pub contact_window_end: Option<NaiveDateTime>,
    pub callback_at: Option<NaiveDateTime>,
    pub attempts_count: i32,
    /// The latest call the customer may have had: the last recorded attempt, or, when later,
    /// the last moment a handler was seen on a call that ended with no outcome (their claim ran
    /// out; see `queue::lapsed`). The rules count every such call, from `unrecorded_calls`;
    /// this one keeps a lapse from being kept twice (`store::keep_possible_call`).
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_conversation_at: Option<NaiveDateTime>,
    pub first_contact_at: Option<NaiveDateTime>,
    pub claimed_by: Option<i64>,
    pub claim_expires_at: Option<NaiveDateTime>,
    pub referred_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub re_engaged_at: Option<NaiveDateTime>,
    /// What the customer needs help with: comma-separated codes from `support::NEEDS`.
    pub needs: Option<String>,
}

impl Case {
    /// Anything learnt on a call (its outcome, a plan, vulnerability, needs, an exception) is
    /// recorded by the handler holding a live claim on the case: nobody else is on that call,
    /// and a case that is closed, on hold or with another handler must not be written to as if
    /// it were.
    pub fn ensure_claimed_by(&self, handler_id: i64, now: NaiveDateTime) -> AppResult<()> {
        if self.on_a_call(now) && self.held_by(handler_id) {
            Ok(())
        } else {
            Err(AppError::Conflict(
                "This call is not claimed by you (or the claim ran out). Take the next call from the queue first.".into(),
            ))
        }
    }

    /// The case is claimed by this handler, whether or not the lease is still live.
    pub fn held_by(&self, handler_id: i64) -> bool {
        self.status == CaseStatus::Claimed.as_str() && self.claimed_by == Some(handler_id)
    }

    /// A handler holds the case under a live lease: they may be on the phone to the customer.
    pub fn on_a_call(&self, now: NaiveDateTime) -> bool {
        self.status == CaseStatus::Claimed.as_str()
            && self.claim_expires_at.is_some_and(|until| until > now)
    }

    /// The customer's own zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.zones()
            .first()
            .copied()
            .unwrap_or(chrono_tz::Europe::London)
    }

    /// Every zone the customer may be in, their own first: calls must suit all of them.
    pub fn zones(&self) -> Vec<chrono_tz::Tz> {
        self.timezone
            .split_whitespace()
            .filter_map(|name| name.parse().ok())
            .collect()
    }

    pub fn money(&self) -> Option<crate::domain::Money> {
        crate::domain::Currency::parse(&self.currency)
            .ok()
            .map(|c| crate::domain::Money::new(self.amount_owed_minor, c))
    }

    /// What to call the customer in a greeting or a script (see [`name_to_greet`]).
    pub fn first_name(&self) -> &str {
        name_to_greet(&self.customer_name)
    }
}

/// Titles a client's records may put before a name.
const TITLES: [&str; 12] = [
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "lady", "lord",
];

/// The given name in a name as a client's records hold it: "Jane Doe" and "Mrs Jane Doe" give
/// "Jane", "Doe, Jane" gives "Jane". With no given name to find ("Mrs Doe"), the whole name,
/// which is still a polite greeting where "Dear Mrs" is not.
pub fn name_to_greet(full: &str) -> &str {
    let is_title = |word: &&str| {
        let word = word.trim_end_matches('.').to_ascii_lowercase();
        TITLES.contains(&word.as_str())
    };
    let (given, reordered) = match full.split_once(',') {
        Some((_, given)) if !given.trim().is_empty() => (given, true),
        _ => (full, false),
    };
    let words: Vec<&str> = given.split_whitespace().collect();
    let untitled: Vec<&str> = words.iter().copied().skip_while(is_title).collect();
    match untitled.first() {
        // "Mrs Doe": a title and a surname, no given name.
        Some(_) if !reordered && untitled.len() == 1 && words.len() > 1 => full.trim(),
        Some(first) => first,
        None => full.trim(),
    }
}

pub fn utc(naive: NaiveDateTime) -> DateTime<Utc> {
    naive.and_utc()
}

/// RFC 3339 in UTC with a `Z`, as the API promises.
pub fn rfc3339(naive: NaiveDateTime) -> String {
    naive
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::name_to_greet;

    #[test]
    fn greetings_use_the_given_name_and_never_a_title_alone() {
        assert_eq!(name_to_greet("Jane Doe"), "Jane");
        assert_eq!(name_to_greet("Mrs Jane Doe"), "Jane");
        assert_eq!(name_to_greet("Dr. Amir Khan"), "Amir");
        assert_eq!(name_to_greet("Doe, Jane"), "Jane");
        assert_eq!(name_to_greet("Doe, Mrs Jane"), "Jane");
        assert_eq!(name_to_greet("Mrs Doe"), "Mrs Doe");
        assert_eq!(name_to_greet("Cher"), "Cher");
        assert_eq!(name_to_greet("Mr"), "Mr");
        assert_eq!(name_to_greet("Missy Elliott"), "Missy");
        assert_eq!(name_to_greet("Doe,"), "Doe,");
    }
}
