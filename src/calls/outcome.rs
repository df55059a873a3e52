//! Call outcomes as handlers and telephony systems report them, parsed into what they mean.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{cases::holds, error::FieldErrors, payment_guard, scheduling::rules::local_to_utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreathingSpaceKind {
    /// 60 days.
    Standard,
    /// Lasts while crisis treatment lasts (plus 30 days): open-ended until lifted.
    MentalHealthCrisis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    NoAnswer,
    Voicemail,
    WrongNumber,
    SpokeToCustomer,
    CallbackRequested {
        at: DateTime<Utc>,
    },
    PlanProposed,
    NeedsTime {
        days: u32,
    },
    Declined,
    Dispute,
    BreathingSpace {
        kind: BreathingSpaceKind,
        starts_on: NaiveDate,
    },
    Deceased,
    VulnerableEscalated,
    AbusiveCallEnded,
    /// The customer has been back in touch with the client (or agrees to be, on this call):
    /// re-engaged, like a confirmed plan.
    ReEngagedWithClient,
}

pub const OUTCOME_NAMES: [&str; 14] = [
    "no_answer",
    "voicemail",
    "wrong_number",
    "spoke_to_customer",
    "callback_requested",
    "plan_proposed",
    "needs_time",
    "declined",
    "dispute",
    "breathing_space",
    "deceased",
    "vulnerable_escalated",
    "abusive_call_ended",
    "re_engaged_with_client",
];

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::Voicemail => "voicemail",
            Outcome::WrongNumber => "wrong_number",
            Outcome::SpokeToCustomer => "spoke_to_customer",
            Outcome::CallbackRequested { .. } => "callback_requested",
            Outcome::PlanProposed => "plan_proposed",
            Outcome::NeedsTime { .. } => "needs_time",
            Outcome::Declined => "declined",
            Outcome::Dispute => "dispute",
            Outcome::BreathingSpace { .. } => "breathing_space",
            Outcome::Deceased => "deceased",
            Outcome::VulnerableEscalated => "vulnerable_escalated",
            Outcome::AbusiveCallEnded => "abusive_call_ended",
            Outcome::ReEngagedWithClient => "re_engaged_with_client",
        }
    }

    /// Whether the handler spoke with the customer (what "contacted" counts).
    pub fn is_conversation(&self) -> bool {
        !matches!(
            self,
            Outcome::NoAnswer | Outcome::Voicemail | Outcome::WrongNumber | Outcome::Deceased
        )
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HoldDetails {
    /// For `breathing_space`: `standard` (60 days) or `mental_health_crisis` (while treatment
    /// lasts, plus 30 days once a supervisor records that it ended).
    pub kind: Option<BreathingSpaceKind>,
    /// For `breathing_space`: the day the moratorium started (defaults to today).
    pub starts_on: Option<NaiveDate>,
}

/// An outcome as sent by the call screen or the API.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OutcomeRequest {
    /// One of: no_answer, voicemail, wrong_number, spoke_to_customer, callback_requested,
    /// plan_proposed, needs_time, declined, dispute, breathing_space, deceased,
    /// vulnerable_escalated, abusive_call_ended, re_engaged_with_client (the customer has been
    /// back in touch with the client: counts as re-engaged and closes the case).
    #[serde(default)]
    pub outcome: String,
    pub notes: Option<String>,
    /// For `callback_requested`: RFC 3339 with an offset, or a local date-time
    /// (`2026-12-07T18:30`) in the customer's time zone.
    pub callback_at: Option<String>,
    /// For `needs_time`: days to pause contact (1–90).
    pub pause_days: Option<u32>,
    pub hold: Option<HoldDetails>,
    /// The script version the handler read from (as given with the claimed call).
    pub script_version_id: Option<i64>,
}

/// The customer's-zone interpretation of a callback time.
pub fn parse_callback(raw: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(absolute) = DateTime::parse_from_rfc3339(raw) {
        return Ok(absolute.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .filter(|local| crate::domain::calendar::has_four_digit_year(*local))
        .map(|local| local_to_utc(tz, local))
        .ok_or_else(|| {
            "must be a date and time, e.g. 2026-12-07T18:30 (the customer's time)".to_string()
        })
}

impl OutcomeRequest {
    /// Parses into an outcome; the callback time is read in the customer's zone.
    pub fn parse(
        &self,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<(Outcome, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut add =
            |field: &str, message: String| errors.entry(field.into()).or_default().push(message);
        let notes = self
            .notes
            .as_ref()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if let Some(Err(message)) = notes.as_deref().map(|n| payment_guard::check_text(n, 4000)) {
            add("notes", message);
        }
        let outcome = match self.outcome.trim() {
            "no_answer" => Some(Outcome::NoAnswer),
            "voicemail" => Some(Outcome::Voicemail),
            "wrong_number" => Some(Outcome::WrongNumber),
            "spoke_to_customer" => Some(Outcome::SpokeToCustomer),
            "callback_requested" => match self
                .callback_at
                .as_deref()
                .map(|raw| parse_callback(raw, tz))
            {
                None => {
                    add("callback_at", "is required for a callback".into());
                    None
                }
                Some(Err(message)) => {
                    add("callback_at", message);
                    None
                }
                Some(Ok(at)) if at <= now => {
                    add("callback_at", "must be in the future".into());
                    None
                }
                Some(Ok(at)) if at > now + Duration::days(60) => {
                    add("callback_at", "must be within the next 60 days".into());
                    None
                }
                Some(Ok(at)) => Some(Outcome::CallbackRequested { at }),
            },
            "plan_proposed" => Some(Outcome::PlanProposed),
            "needs_time" => match self.pause_days {
                Some(days @ 1..=90) => Some(Outcome::NeedsTime { days }),
                _ => {
                    add("pause_days", "must be between 1 and 90 days".into());
                    None
                }
            },
            "declined" => Some(Outcome::Declined),
            "dispute" => Some(Outcome::Dispute),
            "breathing_space" => {
                let hold = self.hold.as_ref();
                let today = now.with_timezone(&tz).date_naive();
                let starts_on = hold.and_then(|h| h.starts_on).unwrap_or(today);
                // A moratorium starts the day after the creditor is told, so a start a few days
                // ahead is real; contact stops now either way (the hold starts at once).
                let latest = today + Duration::days(holds::BREATHING_SPACE_NOTICE_AHEAD_DAYS);
                let earliest = today - Duration::days(365);
                match hold.and_then(|h| h.kind) {
                    Some(_) if !(earliest..=latest).contains(&starts_on) => {
                        add(
                            "hold.starts_on",
                            "must be within the last year and at most 14 days ahead".into(),
                        );
                        None
                    }
                    Some(BreathingSpaceKind::Standard)
                        if holds::breathing_space_end(starts_on) <= today =>
                    {
                        let ended = holds::breathing_space_end(starts_on);
                        add("hold.starts_on", holds::breathing_space_already_over(ended));
                        None
                    }
                    Some(kind) => Some(Outcome::BreathingSpace { kind, starts_on }),
                    None => {
                        add(
                            "hold.kind",
                            "is required: standard or mental_health_crisis".into(),
                        );
                        None
                    }
                }
            }
            "deceased" => Some(Outcome::Deceased),
            "vulnerable_escalated" => Some(Outcome::VulnerableEscalated),
            "abusive_call_ended" => Some(Outcome::AbusiveCallEnded),
            "re_engaged_with_client" => Some(Outcome::ReEngagedWithClient),
            "" => {
                add("outcome", "is required".into());
                None
            }
            _ => {
                add(
                    "outcome",
                    format!("must be one of {}", OUTCOME_NAMES.join(", ")),
                );
                None
            }
        };
        match outcome {
            Some(outcome) if errors.is_empty() => Ok((outcome, notes)),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::{parse_callback, BreathingSpaceKind, HoldDetails, OutcomeRequest};

    #[test]
    fn a_standard_breathing_space_already_over_is_a_mistyped_start() {
        let london = chrono_tz::Europe::London;
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap();
        let outcome = |kind, starts_on| OutcomeRequest {
            outcome: "breathing_space".into(),
            hold: Some(HoldDetails {
                kind: Some(kind),
                starts_on: NaiveDate::from_ymd_opt(2025, 3, starts_on),
            }),
            ..Default::default()
        };
        // A year off: 11 March 2025 for 11 March 2026.
        let errors = outcome(BreathingSpaceKind::Standard, 11)
            .parse(london, now)
            .unwrap_err();
        assert_eq!(
            errors["hold.starts_on"],
            ["gives a Breathing Space that would already have ended on 10 May 2025 (60 days from its start): check the start date"]
        );
        // A crisis moratorium runs until lifted, however long ago it started.
        assert!(outcome(BreathingSpaceKind::MentalHealthCrisis, 11)
            .parse(london, now)
            .is_ok());
    }

    #[test]
    fn a_callback_time_in_a_far_year_is_a_field_error_not_a_crash() {
        let new_york = chrono_tz::America::New_York;
        assert!(parse_callback("+262142-12-31T23:30", new_york).is_err());
        assert!(parse_callback("+12026-12-07T18:30", new_york).is_err());
        let at = parse_callback("2026-12-07T18:30", new_york).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-07T23:30:00+00:00");
    }
}
