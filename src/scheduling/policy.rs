//! Contact policy: the defaults from the brief, and per-client policies that may only tighten them.

use std::collections::BTreeMap;

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::{domain::Region, error::FieldErrors};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPolicy {
    /// Earliest local time a call may start.
    pub earliest: NaiveTime,
    /// Calls must start before this local time.
    pub latest: NaiveTime,
    /// Monday first.
    pub weekdays: [bool; 7],
    pub max_attempts_7_days: u32,
    pub max_attempts_24_hours: u32,
    pub min_hours_between_attempts: u32,
    /// No attempts for this many days after a conversation, unless a callback was asked for.
    pub quiet_days_after_conversation: u32,
    /// After this many attempts the case closes as unable to contact.
    pub max_total_attempts: u32,
}

impl Default for ContactPolicy {
    fn default() -> Self {
        ContactPolicy {
            earliest: NaiveTime::from_hms_opt(8, 0, 0).expect("valid time"),
            latest: NaiveTime::from_hms_opt(20, 0, 0).expect("valid time"),
            weekdays: [true, true, true, true, true, true, false],
            max_attempts_7_days: 7,
            max_attempts_24_hours: 3,
            min_hours_between_attempts: 4,
            quiet_days_after_conversation: 7,
            max_total_attempts: 12,
        }
    }
}

impl ContactPolicy {
    pub fn allows_weekday(&self, day: Weekday) -> bool {
        self.weekdays[day.num_days_from_monday() as usize]
    }

    /// Weekdays as stored: seven characters, Monday first, `1` allowed and `0` not.
    pub fn weekdays_code(&self) -> String {
        self.weekdays
            .iter()
            .map(|d| if *d { '1' } else { '0' })
            .collect()
    }

    pub fn parse_weekdays(code: &str) -> Option<[bool; 7]> {
        let bytes = code.as_bytes();
        if bytes.len() != 7 || !bytes.iter().all(|b| matches!(b, b'0' | b'1')) {
            return None;
        }
        let mut days = [false; 7];
        for (day, b) in days.iter_mut().zip(bytes) {
            *day = *b == b'1';
        }
        Some(days)
    }

    /// A client's policy may be stricter than the defaults, never looser. Every loosening is
    /// named with the reason, for a 422.
    pub fn check_not_looser_than(&self, floor: &ContactPolicy) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut refuse = |field: &str, message: String| {
            errors.entry(field.to_string()).or_default().push(message);
        };
        if self.earliest < floor.earliest {
            refuse(
                "earliest",
                format!(
                    "must not be earlier than {}",
                    floor.earliest.format("%H:%M")
                ),
            );
        }
        if self.latest > floor.latest {
            refuse(
                "latest",
                format!("must not be later than {}", floor.latest.format("%H:%M")),
            );
        }
        if self.earliest >= self.latest {
            refuse("latest", "must be after the earliest time".into());
        }
        if self
            .weekdays
            .iter()
            .zip(floor.weekdays)
            .any(|(mine, allowed)| *mine && !allowed)
        {
            refuse(
                "weekdays",
                "may not add days the defaults do not allow (Sunday)".into(),
            );
        }
        if !self.weekdays.iter().any(|d| *d) {
            refuse("weekdays", "must allow at least one day".into());
        }
        let mut at_most = |field: &str, mine: u32, limit: u32| {
            if mine > limit {
                refuse(field, format!("must be at most {limit}"));
            } else if mine == 0 {
                refuse(field, "must be at least 1".into());
            }
        };
        at_most(
            "max_attempts_7_days",
            self.max_attempts_7_days,
            floor.max_attempts_7_days,
        );
        at_most(
            "max_attempts_24_hours",
            self.max_attempts_24_hours,
            floor.max_attempts_24_hours,
        );
        at_most(
            "max_total_attempts",
            self.max_total_attempts,
            floor.max_total_attempts,
        );
        let mut between = |field: &str, mine: u32, least: u32, most: u32, unit: &str| {
            if mine < least {
                refuse(field, format!("must be at least {least}"));
            } else if mine > most {
                refuse(field, format!("must be at most {most} ({unit})"));
            }
        };
        between(
            "min_hours_between_attempts",
            self.min_hours_between_attempts,
            floor.min_hours_between_attempts,
            MAX_HOURS_BETWEEN_ATTEMPTS,
            "30 days",
        );
        between(
            "quiet_days_after_conversation",
            self.quiet_days_after_conversation,
            floor.quiet_days_after_conversation,
            MAX_QUIET_DAYS,
            "a quarter of a year",
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// What both policies allow: the later start, the earlier end, the days both allow, the
    /// lower limits and the longer waits. Two policies whose hours do not meet leave no time to
    /// call at all, which the rules treat as "nobody may call" (never as "anything goes").
    pub fn strictest(&self, other: &ContactPolicy) -> ContactPolicy {
        let mut weekdays = self.weekdays;
        for (day, allowed) in weekdays.iter_mut().zip(other.weekdays) {
            *day = *day && allowed;
        }
        ContactPolicy {
            earliest: self.earliest.max(other.earliest),
            latest: self.latest.min(other.latest),
            weekdays,
            max_attempts_7_days: self.max_attempts_7_days.min(other.max_attempts_7_days),
            max_attempts_24_hours: self.max_attempts_24_hours.min(other.max_attempts_24_hours),
            min_hours_between_attempts: self
                .min_hours_between_attempts
                .max(other.min_hours_between_attempts),
            quiet_days_after_conversation: self
                .quiet_days_after_conversation
                .max(other.quiet_days_after_conversation),
            max_total_attempts: self.max_total_attempts.min(other.max_total_attempts),
        }
    }
}

/// The longest waits a policy may set. Stricter is allowed, but a wait of years is a mistake
/// (or an attempt to stall the queue), not a policy; a hold is the way to stop contact.
pub const MAX_HOURS_BETWEEN_ATTEMPTS: u32 = 720;
pub const MAX_QUIET_DAYS: u32 = 90;

/// A client's policies: the general one, and tighter ones for some regions (keyed by region
/// code: `US-FL`, `US`, `scotland`, `GB` …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientPolicies {
    pub general: ContactPolicy,
    pub regions: BTreeMap<String, ContactPolicy>,
}

impl ClientPolicies {
    /// The policy for a customer in `region` (a stored region code): the general policy
    /// tightened by the region's own rules and its country's.
    pub fn for_region(&self, region: &str) -> ContactPolicy {
        let codes = Region::parse(region)
            .map(|r| r.rule_codes())
            .unwrap_or_else(|_| vec![region.to_string()]);
        codes
            .iter()
            .filter_map(|code| self.regions.get(code))
            .fold(self.general.clone(), |policy, tighter| {
                policy.strictest(tighter)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, 0, 0).unwrap()
    }

    fn florida() -> ContactPolicy {
        ContactPolicy {
            latest: at(19),
            max_attempts_24_hours: 2,
            ..ContactPolicy::default()
        }
    }

    #[test]
    fn the_strictest_of_two_policies_takes_each_rule_from_the_stricter() {
        let client = ContactPolicy {
            earliest: at(9),
            latest: at(21),
            weekdays: [true, true, true, true, true, false, false],
            max_attempts_24_hours: 2,
            min_hours_between_attempts: 6,
            ..ContactPolicy::default()
        };
        let region = ContactPolicy {
            earliest: at(8),
            latest: at(19),
            quiet_days_after_conversation: 10,
            max_total_attempts: 5,
            ..ContactPolicy::default()
        };
        let both = client.strictest(&region);
        assert_eq!((both.earliest, both.latest), (at(9), at(19)));
        assert_eq!(both.weekdays, [true, true, true, true, true, false, false]);
        assert_eq!(both.max_attempts_24_hours, 2);
        assert_eq!(both.min_hours_between_attempts, 6);
        assert_eq!(both.quiet_days_after_conversation, 10);
        assert_eq!(both.max_total_attempts, 5);
        assert_eq!(both, region.strictest(&client), "order does not matter");
    }

    #[test]
    fn a_region_rule_applies_to_its_customers_and_a_country_rule_to_all_its_regions() {
        let mut policies = ClientPolicies::default();
        policies.regions.insert("US-FL".into(), florida());
        policies.regions.insert(
            "US".into(),
            ContactPolicy {
                earliest: at(9),
                ..ContactPolicy::default()
            },
        );
        let miami = policies.for_region("US-FL");
        assert_eq!((miami.earliest, miami.latest), (at(9), at(19)));
        assert_eq!(miami.max_attempts_24_hours, 2);
        let texas = policies.for_region("US-TX");
        assert_eq!(texas.earliest, at(9));
        assert_eq!(
            texas.max_attempts_24_hours,
            ContactPolicy::default().max_attempts_24_hours
        );
        assert_eq!(policies.for_region("england"), ContactPolicy::default());
    }
}
