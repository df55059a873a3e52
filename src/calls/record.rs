//! Recording what happened on a call: the attempt, the case's new state and next scheduled time,
//! and the audit entry, all in the caller's transaction.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::outcome::{BreathingSpaceKind, Outcome, OutcomeRequest};
use crate::{
    audit::{self, Actor},
    cases::{
        self,
        holds::{self, NewHold},
        priority, schedule,
        store::{apply_schedule, ScheduleUpdate},
        Case,
    },
    db::{
        schema::{cases as cases_table, contact_attempts},
        DbConn,
    },
    error::{AppError, AppResult},
    queue::breaks,
};

/// Default break after an abusive call.
pub const ABUSE_BREAK_MINUTES: i64 = 10;

pub struct Recorded {
    pub case: Case,
    /// Set when the outcome started a break for the handler.
    pub break_until: Option<NaiveDateTime>,
}

/// What the handler reports about one call.
pub struct CallReport<'a> {
    pub outcome: &'a Outcome,
    pub notes: Option<&'a str>,
    /// The script version the handler read from.
    pub script_version_id: Option<i64>,
}

/// Records an outcome as the call screen or the API sent it: parsed in the customer's zone
/// (field errors otherwise), then `record`.
pub fn record_request(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    case_id: i64,
    request: &OutcomeRequest,
    now: DateTime<Utc>,
) -> AppResult<Recorded> {
    let case = cases::store::find(conn, case_id)?;
    let (outcome, notes) = request.parse(case.tz(), now).map_err(AppError::fields)?;
    let report = CallReport {
        outcome: &outcome,
        notes: notes.as_deref(),
        script_version_id: request.script_version_id,
    };
    record(conn, actor, handler_id, case_id, report, now)
}

/// How long after recording an outcome the same outcome sent again counts as a repeat.
const REPEAT_SECONDS: i64 = 120;

/// Whether `request` is one `handler_id` already recorded for the case moments ago: the same
/// form sent twice (a double click, a refresh), whose second copy finds the claim ended by the
/// first. The same outcome with the same notes (and, for a callback, the same time) only: an
/// outcome whose details changed, or one whose details the call record does not keep (days to
/// pause, a Breathing Space), is not taken for a repeat, and is refused as before.
pub fn is_repeat(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    request: &OutcomeRequest,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let case = cases::store::find(conn, case_id)?;
    let Ok((outcome, notes)) = request.parse(case.tz(), now) else {
        return Ok(false);
    };
    let since = now.naive_utc() - chrono::Duration::seconds(REPEAT_SECONDS);
    let latest: Option<(String, Option<String>)> = contact_attempts::table
        .filter(contact_attempts::case_id.eq(case_id))
        .filter(contact_attempts::handler_id.eq(handler_id))
        .filter(contact_attempts::recorded_at.ge(since))
        .order(contact_attempts::id.desc())
        .select((contact_attempts::outcome, contact_attempts::notes))
        .first(conn)
        .optional()?;
    let same_details = match outcome {
        Outcome::CallbackRequested { at } => case.callback_at == Some(at.naive_utc()),
        Outcome::NeedsTime { .. } | Outcome::BreathingSpace { .. } => false,
        _ => true,
    };
    Ok(latest.is_some_and(|(name, recorded_notes)| {
        name == outcome.name() && recorded_notes == notes && same_details
    }))
}

pub fn record(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    case_id: i64,
    report: CallReport<'_>,
    now: DateTime<Utc>,
) -> AppResult<Recorded> {
    let CallReport {
        outcome,
        notes,
        script_version_id,
    } = report;
    let at = now.naive_utc();
    let case = cases::store::find_claimed_by(conn, case_id, handler_id, at)?;
    let conversation = outcome.is_conversation();

    diesel::insert_into(contact_attempts::table)
        .values((
            contact_attempts::case_id.eq(case_id),
            contact_attempts::handler_id.eq(handler_id),
            contact_attempts::attempted_at.eq(at),
            contact_attempts::outcome.eq(outcome.name()),
            contact_attempts::conversation.eq(conversation),
            contact_attempts::notes.eq(notes),
            contact_attempts::script_version_id.eq(script_version_id),
            contact_attempts::recorded_at.eq(at),
        ))
        .execute(conn)?;

    let callback_at = match outcome {
        Outcome::CallbackRequested { at: callback } => Some(callback.naive_utc()),
        _ => None,
    };
    let vulnerable = case.vulnerable || matches!(outcome, Outcome::VulnerableEscalated);
    diesel::update(cases_table::table.find(case_id))
        .set((
            cases_table::attempts_count.eq(case.attempts_count + 1),
            cases_table::last_attempt_at.eq(at),
            cases_table::last_conversation_at.eq(if conversation {
                Some(at)
            } else {
                case.last_conversation_at
            }),
            cases_table::first_contact_at.eq(case.first_contact_at.or(conversation.then_some(at))),
            // A callback is made by this call; a new one replaces it.
            cases_table::callback_at.eq(callback_at),
            cases_table::vulnerable.eq(vulnerable),
            // The first time counts (a confirmed plan may have come first).
            cases_table::re_engaged_at.eq(case.re_engaged_at.or(matches!(
                outcome,
                Outcome::ReEngagedWithClient
            )
            .then_some(at))),
            cases_table::updated_at.eq(at),
        ))
        .execute(conn)?;

    let hold = |kind: &'static str, ends_at: Option<NaiveDateTime>| NewHold {
        case_id,
        kind,
        starts_at: at,
        ends_at,
        note: None,
        created_by: Some(handler_id),
    };
    let band = priority::band(callback_at.is_some(), vulnerable);
    let mut break_until = None;
    let closing = match outcome {
        Outcome::WrongNumber => Some(ScheduleUpdate::closed("wrong_number", band)),
        Outcome::Declined => Some(ScheduleUpdate::closed("declined", band)),
        Outcome::ReEngagedWithClient => Some(ScheduleUpdate::closed("re_engaged", band)),
        Outcome::Deceased => {
            holds::place(conn, hold("deceased", None), at)?;
            Some(ScheduleUpdate::closed("deceased", band))
        }
        Outcome::NeedsTime { days } => {
            holds::place(
                conn,
                hold("needs_time", Some(at + Duration::days((*days).into()))),
                at,
            )?;
            None
        }
        Outcome::Dispute => {
            holds::place(conn, hold("dispute", None), at)?;
            None
        }
        Outcome::VulnerableEscalated => {
            holds::place(conn, hold("vulnerability_escalated", None), at)?;
            None
        }
        Outcome::BreathingSpace { kind, starts_on } => {
            let starts_at = starts_on.and_hms_opt(0, 0, 0).unwrap_or(at);
            let ends_at = match kind {
                BreathingSpaceKind::Standard => Some(holds::breathing_space_end(starts_at)),
                BreathingSpaceKind::MentalHealthCrisis => None,
            };
            let kind = match kind {
                BreathingSpaceKind::Standard => "breathing_space",
                BreathingSpaceKind::MentalHealthCrisis => holds::MENTAL_HEALTH_BREATHING_SPACE,
            };
            holds::place(
                conn,
                NewHold {
                    starts_at: starts_at.min(at),
                    ..hold(kind, ends_at)
                },
                at,
            )?;
            None
        }
        Outcome::AbusiveCallEnded => {
            break_until = Some(breaks::start(
                conn,
                handler_id,
                at,
                ABUSE_BREAK_MINUTES,
                "abusive call",
            )?);
            super::welfare::request_follow_up(
                conn,
                handler_id,
                Some(case_id),
                "Call ended because of abuse",
                at,
            )?;
            None
        }
        _ => None,
    };
    match closing {
        Some(update) => apply_schedule(conn, case_id, update, at)?,
        None => {
            let fresh = cases::store::find(conn, case_id)?;
            schedule::reschedule(conn, &fresh, now)?;
        }
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("outcome_recorded", "case", Some(case_id))
            .client(Some(case.client_id))
            .detail(outcome.name()),
    )?;
    Ok(Recorded {
        case: cases::store::find(conn, case_id)?,
        break_until,
    })
}
