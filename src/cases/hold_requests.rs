//! Holds placed and lifted outside a call: a client passing on a Breathing Space notice, a
//! dispute or a death; a supervisor acting on what they have learnt. Contact stops the moment
//! the hold is placed, even if a handler holds the case (their claim ends with it).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{holds, schedule, store, Case};
use crate::{
    audit::{self, Actor},
    db::DbConn,
    error::{AppError, AppResult, FieldErrors},
    payment_guard,
};

/// The holds that may be placed outside a call (risk to life has its own path).
pub const KINDS: [&str; 5] = [
    "breathing_space",
    holds::MENTAL_HEALTH_BREATHING_SPACE,
    "dispute",
    "deceased",
    "do_not_contact",
];

const MAX_NOTE: usize = 1000;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HoldRequest {
    /// `breathing_space` (60 days from its start), `breathing_space_mental_health` (until a
    /// supervisor or the client records that treatment ended, then 30 days), `dispute`,
    /// `deceased` (also closes the case) or `do_not_contact`; all but the first last until lifted.
    #[serde(default)]
    pub kind: String,
    /// When it began, RFC 3339 (default now). A Breathing Space notice gives its start, which may
    /// be up to 14 days ahead: contact stops at once, and the 60 days run from that start.
    pub starts_at: Option<String>,
    pub note: Option<String>,
}

/// A request that passed every check.
#[derive(Debug, PartialEq, Eq)]
pub struct CheckedHold {
    pub kind: &'static str,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub note: Option<String>,
}

impl HoldRequest {
    /// Checks the request against `now`, naming each field that needs correcting.
    pub fn check(&self, now: DateTime<Utc>) -> Result<CheckedHold, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut add = |f: &str, m: String| errors.entry(f.to_string()).or_default().push(m);
        let kind = KINDS.iter().copied().find(|k| *k == self.kind.trim());
        if kind.is_none() {
            add("kind", format!("must be one of {}", KINDS.join(", ")));
        }
        // A Breathing Space notice may give a start a few days ahead (see the constant); any
        // other hold starts when it is placed or earlier.
        let breathing_space = kind.is_some_and(|k| k.starts_with("breathing_space"));
        let ahead = Duration::days(match breathing_space {
            true => holds::BREATHING_SPACE_NOTICE_AHEAD_DAYS,
            false => 0,
        });
        let starts_at = match self.starts_at.as_deref().map(str::trim) {
            None | Some("") => Some(now),
            Some(raw) => match DateTime::parse_from_rfc3339(raw) {
                Ok(at) if at > now + ahead => {
                    let message = match breathing_space {
                        true => format!(
                            "must be at most {} days ahead",
                            holds::BREATHING_SPACE_NOTICE_AHEAD_DAYS
                        ),
                        false => "must not be in the future".into(),
                    };
                    add("starts_at", message);
                    None
                }
                // A standard Breathing Space that would already have ended is a mistyped
                // start (a year off): accepted, it would stop nothing and the customer would
                // be called during a real moratorium.
                Ok(at)
                    if kind == Some("breathing_space") && holds::breathing_space_end(at) <= now =>
                {
                    let ended = holds::breathing_space_end(at).with_timezone(&Utc);
                    add(
                        "starts_at",
                        holds::breathing_space_already_over(ended.date_naive()),
                    );
                    None
                }
                Ok(at) => Some(at.with_timezone(&Utc)),
                Err(_) => {
                    add(
                        "starts_at",
                        "must be a time like 2026-03-10T09:00:00Z".into(),
                    );
                    None
                }
            },
        };
        let note = self
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if let Some(Err(message)) = note.map(|n| payment_guard::check_text(n, MAX_NOTE)) {
            add("note", message);
        }
        match (kind, starts_at) {
            // Contact stops at once even when the notice's start is ahead; the 60 days run
            // from the start it gives.
            (Some(kind), Some(starts_at)) if errors.is_empty() => Ok(CheckedHold {
                kind,
                starts_at: starts_at.min(now).naive_utc(),
                ends_at: (kind == "breathing_space")
                    .then(|| holds::breathing_space_end(starts_at).naive_utc()),
                note: note.map(str::to_string),
            }),
            _ => Err(errors),
        }
    }
}

/// Places a hold on `case` and stops contact at once; a death also closes the case. Returns the
/// hold's id.
pub fn place(
    conn: &mut DbConn,
    actor: Actor,
    case: &Case,
    request: &HoldRequest,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let hold = request.check(now).map_err(AppError::fields)?;
    // Contact stops at once, even on a call under way: that call may have happened.
    let case = store::find_locked(conn, case.id)?;
    let case = &store::keep_possible_call(conn, case, now.naive_utc())?;
    let id = holds::place(
        conn,
        holds::NewHold {
            case_id: case.id,
            kind: hold.kind,
            starts_at: hold.starts_at,
            ends_at: hold.ends_at,
            note: hold.note.as_deref(),
            created_by,
        },
        now.naive_utc(),
    )?;
    if hold.kind == "deceased" {
        store::close(conn, case, "deceased", now.naive_utc())?;
    } else {
        schedule::reschedule(conn, case, now)?;
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("hold_placed", "case", Some(case.id))
            .client(Some(case.client_id))
            .detail(hold.kind),
    )?;
    Ok(id)
}

/// Who is lifting a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifter {
    /// A client, for the holds it may place itself.
    Client,
    /// An Outreach supervisor, for any hold.
    Supervisor,
}

/// Lifts one of `case`'s holds and schedules the case again under the rules (a closed case stays
/// closed). For a mental-health crisis Breathing Space this records that treatment ended: the
/// protection runs 30 more days. `NotFound` for a hold of another case. A client may not lift
/// what staff placed for the customer's safety (risk to life, escalated vulnerability), nor a
/// "do not contact" the customer asked Outreach for; it may lift a Breathing Space or dispute
/// staff recorded, as the creditor learns when those end.
pub fn lift(
    conn: &mut DbConn,
    actor: Actor,
    who: Lifter,
    case: &Case,
    hold_id: i64,
    now: DateTime<Utc>,
) -> AppResult<holds::Lifted> {
    let (kind, placed_by_staff) = holds::placed(conn, case.id, hold_id)?
        .map(|(kind, by)| (kind, by.is_some()))
        .ok_or(AppError::NotFound)?;
    if who == Lifter::Client && !KINDS.contains(&kind.as_str()) {
        return Err(AppError::Conflict(
            "Outreach staff placed this hold for the customer's safety: only an Outreach supervisor can lift it."
                .into(),
        ));
    }
    if who == Lifter::Client && placed_by_staff && kind == "do_not_contact" {
        return Err(AppError::Conflict(
            "The customer asked Outreach not to contact them: only an Outreach supervisor can lift this hold."
                .into(),
        ));
    }
    let lifted = holds::lift(conn, case.id, hold_id, now.naive_utc())?;
    // A handler on a call with the customer keeps it (a risk to life raised on the call leaves
    // them the claim): their outcome reschedules the case, now without this hold. A claim that
    // ran out ends here, as a call that may have happened.
    let current = store::find_locked(conn, case.id)?;
    if !current.on_a_call(now.naive_utc()) {
        let current = store::keep_possible_call(conn, current, now.naive_utc())?;
        schedule::reschedule(conn, &current, now)?;
    }
    let entry = match lifted {
        holds::Lifted::Now => audit::Entry::new("hold_lifted", "case", Some(case.id)),
        holds::Lifted::EndsAt(end) => {
            audit::Entry::new("breathing_space_treatment_ended", "case", Some(case.id)).detail(
                format!(
                    "Mental-health crisis Breathing Space ends {} UTC (30 days after treatment)",
                    end.format("%Y-%m-%d %H:%M")
                ),
            )
        }
    };
    audit::record(conn, actor, entry.client(Some(case.client_id)))?;
    Ok(lifted)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap()
    }

    fn request(kind: &str, starts_at: Option<&str>, note: Option<&str>) -> HoldRequest {
        HoldRequest {
            kind: kind.into(),
            starts_at: starts_at.map(str::to_string),
            note: note.map(str::to_string),
        }
    }

    #[test]
    fn a_breathing_space_runs_sixty_days_from_the_start_on_its_notice() {
        let hold = request("breathing_space", Some("2026-03-01T00:00:00Z"), None)
            .check(now())
            .unwrap();
        let start = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .unwrap()
            .naive_utc();
        assert_eq!(hold.starts_at, start);
        assert_eq!(hold.ends_at, Some(start + Duration::days(60)));
        for open_ended in ["dispute", "do_not_contact", "breathing_space_mental_health"] {
            let hold = request(open_ended, None, None).check(now()).unwrap();
            assert_eq!((hold.starts_at, hold.ends_at), (now().naive_utc(), None));
        }
    }

    #[test]
    fn a_breathing_space_starting_tomorrow_stops_contact_today_and_runs_from_tomorrow() {
        let tomorrow = Utc.with_ymd_and_hms(2026, 3, 11, 0, 0, 0).unwrap();
        let hold = request("breathing_space", Some("2026-03-11T00:00:00Z"), None)
            .check(now())
            .unwrap();
        assert_eq!(hold.starts_at, now().naive_utc());
        assert_eq!(
            hold.ends_at,
            Some((tomorrow + Duration::days(60)).naive_utc())
        );
        let crisis = request(
            "breathing_space_mental_health",
            Some("2026-03-24T10:00:00Z"),
            None,
        );
        assert_eq!(crisis.check(now()).unwrap().starts_at, now().naive_utc());
        let too_far = request("breathing_space", Some("2026-03-24T10:00:01Z"), None);
        assert_eq!(
            too_far.check(now()).unwrap_err()["starts_at"],
            ["must be at most 14 days ahead"]
        );
        let dispute = request("dispute", Some("2026-03-11T00:00:00Z"), None);
        assert_eq!(
            dispute.check(now()).unwrap_err()["starts_at"],
            ["must not be in the future"]
        );
    }

    #[test]
    fn mistakes_are_named_by_field() {
        let errors = request(
            "holiday",
            Some("2027-01-01T00:00:00Z"),
            Some("card 4111 1111 1111 1111"),
        )
        .check(now())
        .unwrap_err();
        assert!(errors["kind"][0].contains("breathing_space, breathing_space_mental_health"));
        assert_eq!(errors["starts_at"][0], "must not be in the future");
        assert!(errors["note"][0].contains("card number"));
        let errors = request("dispute", Some("yesterday"), None)
            .check(now())
            .unwrap_err();
        assert!(errors["starts_at"][0].contains("2026-03-10T09:00:00Z"));
    }

    #[test]
    fn a_breathing_space_that_would_already_have_ended_is_a_mistyped_start() {
        // A year off: the moratorium is real and current, the notice's date mistyped.
        let errors = request("breathing_space", Some("2025-03-01T00:00:00Z"), None)
            .check(now())
            .unwrap_err();
        assert_eq!(
            errors["starts_at"],
            ["gives a Breathing Space that would already have ended on 30 April 2025 (60 days from its start): check the start date"]
        );
        // Still running on its 60th day; open-ended holds may have started long ago.
        assert!(
            request("breathing_space", Some("2026-01-10T10:00:01Z"), None)
                .check(now())
                .is_ok()
        );
        for open_ended in ["breathing_space_mental_health", "deceased", "dispute"] {
            assert!(request(open_ended, Some("2024-01-01T00:00:00Z"), None)
                .check(now())
                .is_ok());
        }
    }
}
