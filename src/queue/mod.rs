//! The call queue: a handler asks for the next call and gets exactly one due case, claimed for a
//! lease. Nobody else can claim it until the handler records an outcome or the lease runs out
//! (and then not before the rules allow another call: see `lapsed`).

pub mod breaks;
mod claim_statement;
pub mod lapsed;
pub mod store;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::{
    audit::{self, Actor},
    cases::{self, history, schedule, Case},
    db::{self, DbConn},
    error::{AppError, AppResult},
    reference::Reference,
    scheduling::ContactHistory,
};

/// How long a claim lasts unless renewed (the call page renews it while open).
pub const DEFAULT_LEASE_MINUTES: i64 = 15;

/// [`DEFAULT_LEASE_MINUTES`] as a duration: what every claim and renewal is given.
pub fn lease() -> Duration {
    Duration::minutes(DEFAULT_LEASE_MINUTES)
}

/// Extends the claim a handler holds on a call still going on (the call page while open, or a
/// telephony system): by `lease` from `now`, for up to an hour after the customer's contact
/// hours end ([`crate::scheduling::rules::CALL_OVERRUN_MINUTES`]) so a call begun in them can be
/// finished and recorded. Returns when the claim now runs out.
pub fn renew_call(
    conn: &mut DbConn,
    reference: &Reference,
    handler_id: i64,
    case_id: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> AppResult<NaiveDateTime> {
    let case = cases::store::find(conn, case_id)?;
    if !reference.rules_for(conn, &case)?.call_may_continue(now) {
        return Err(AppError::Conflict(
            "Their contact hours ended over an hour ago: the claim is not renewed, and the case goes back on schedule when it runs out.".into(),
        ));
    }
    let lease_until = now.naive_utc() + lease;
    if !store::renew(conn, case_id, handler_id, now.naive_utc(), lease_until)? {
        return Err(AppError::Conflict(
            "This call is no longer yours: the claim ran out. Take the next call from the queue."
                .into(),
        ));
    }
    Ok(lease_until)
}

/// Queued cases found no longer callable (their hours ended while they waited) are put back
/// on schedule; one request re-checks at most this many before answering "nothing due".
const MAX_RECHECKS: usize = 25;

/// A case a handler holds, with what the rules and the script need about it.
#[derive(Debug)]
pub struct Claimed {
    pub case: Case,
    pub history: ContactHistory,
    /// A risk to life was raised on this case at some point (crisis lines come first).
    pub risk_flagged: bool,
}

#[derive(Debug)]
pub enum Claim {
    Claimed(Box<Claimed>),
    NothingDue,
    OnBreak { until: NaiveDateTime },
}

/// Moving waiting cases into the queue is needed about once a second, not on every claim: with
/// many handlers claiming at once it would otherwise be much of the work.
#[derive(Default)]
pub struct PromotionThrottle {
    last: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl PromotionThrottle {
    /// Whether to promote now; a clock that moved backwards (tests pin it) always promotes.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|at| now < at || now - at >= Duration::seconds(1));
        if due {
            *last = Some(now);
        }
        due
    }
}

/// A handler asking for their next call.
#[derive(Clone, Copy, Debug)]
pub struct Asking {
    pub actor: Actor,
    pub handler_id: i64,
}

/// Claims the next due case for a handler (or returns the one they already hold, renewed).
/// Manages its own transactions; `promote` says whether to move newly due cases into the queue
/// first. Policies and calendars come from `reference`; the case and its history are read fresh.
pub fn claim_next(
    conn: &mut DbConn,
    reference: &Reference,
    actor: Actor,
    handler_id: i64,
    now: DateTime<Utc>,
    lease: Duration,
    promote: bool,
) -> AppResult<Claim> {
    let asking = [Asking { actor, handler_id }];
    let mut answers = claim_next_for_each(conn, reference, &asking, now, lease, promote)?;
    answers.pop().unwrap_or(Ok(Claim::NothingDue))
}

/// [`claim_next`] for several handlers asking at once, answered in the order asked: each round
/// claims a case for every handler still waiting with one statement (`store::claim_new`). A
/// handler asking twice at once is put to the queue once; the other request gets the case they
/// then hold, as asking again always does. A failure of the claim statement (which commits or
/// not as a whole) is everyone's; one after it, in one handler's checks, is that handler's.
pub fn claim_next_for_each(
    conn: &mut DbConn,
    reference: &Reference,
    asking: &[Asking],
    now: DateTime<Utc>,
    lease: Duration,
    promote: bool,
) -> AppResult<Vec<AppResult<Claim>>> {
    let now_naive = now.naive_utc();
    let lease_until = now_naive + lease;
    if promote {
        lapsed::settle(conn, now, None)?;
        store::promote_due(conn, now_naive)?;
    }
    let mut answers: Vec<Option<AppResult<Claim>>> = asking.iter().map(|_| None).collect();
    let mut waiting: Vec<usize> = Vec::with_capacity(asking.len());
    let mut again_later = Vec::new();
    for (at, one) in asking.iter().enumerate() {
        if asking[..at].iter().any(|a| a.handler_id == one.handler_id) {
            again_later.push(at);
        } else {
            waiting.push(at);
        }
    }
    for _ in 0..MAX_RECHECKS {
        if waiting.is_empty() {
            break;
        }
        let round: Vec<Asking> = waiting.iter().map(|&at| asking[at]).collect();
        let claimed = match store::claim_new(conn, &round, now_naive, lease_until) {
            Ok(claimed) => claimed,
            // Nothing claimed yet: nothing lost.
            Err(e) if answers.iter().all(Option::is_none) => return Err(e),
            // Some hold cases from an earlier round: they get them; the rest the failure.
            Err(e) => {
                for at in waiting {
                    answers[at] = Some(Err(e.for_each_request()));
                }
                break;
            }
        };
        let mut still_waiting = Vec::new();
        for (at, claimed) in waiting.into_iter().zip(claimed) {
            let handler_id = asking[at].handler_id;
            let answer = match claimed {
                Some(claimed) => callable_or_put_back(conn, reference, claimed, now),
                None => held_answer(conn, reference, handler_id, now, lease_until),
            };
            match answer {
                Ok(None) => still_waiting.push(at),
                Ok(Some(claim)) => answers[at] = Some(Ok(claim)),
                Err(e) => answers[at] = Some(Err(e)),
            }
        }
        waiting = still_waiting;
    }
    for at in again_later {
        let handler_id = asking[at].handler_id;
        answers[at] = held_answer(conn, reference, handler_id, now, lease_until).transpose();
    }
    Ok(answers
        .into_iter()
        .map(|answer| answer.unwrap_or(Ok(Claim::NothingDue)))
        .collect())
}

/// [`held_or_nothing`] in a write transaction: the answer for a handler given no new case, or
/// `None` when the case they held is no longer theirs (they may have another).
fn held_answer(
    conn: &mut DbConn,
    reference: &Reference,
    handler_id: i64,
    now: DateTime<Utc>,
    lease_until: NaiveDateTime,
) -> AppResult<Option<Claim>> {
    let held = db::write_transaction(conn, |conn| {
        held_or_nothing(conn, reference, handler_id, now, lease_until)
    })?;
    Ok(match held {
        Held::Released => None,
        Held::Answer(claim) => Some(claim),
    })
}

/// A freshly claimed case if the rules allow a call now; otherwise it goes back on schedule
/// (its hours ended, a hold or a limit since it was queued) and `None`.
fn callable_or_put_back(
    conn: &mut DbConn,
    reference: &Reference,
    claimed: Claimed,
    now: DateTime<Utc>,
) -> AppResult<Option<Claim>> {
    let case = &claimed.case;
    if reference
        .rules_for(conn, case)?
        .may_call_now(&claimed.history, now)
    {
        return Ok(Some(Claim::Claimed(Box::new(claimed))));
    }
    let Some(handler_id) = case.claimed_by else {
        return Ok(None);
    };
    db::write_transaction(conn, |conn| {
        // Read again under its lock: between the claim and here the case may have been erased,
        // or its claim ended another way, and a copy from before would put it back in the queue
        // (or queue its "unable to contact" e-mail twice).
        let case = cases::store::find_locked(conn, case.id)?;
        if !case.held_by(handler_id) {
            return Ok(());
        }
        schedule::reschedule(conn, &case, now)?;
        audit::record(
            conn,
            Actor::System,
            audit::Entry::new("case_requeued", "case", Some(case.id))
                .client(Some(case.client_id))
                .detail("No longer callable when claimed (hours, holds or limits); rescheduled"),
        )
    })?;
    Ok(None)
}

enum Held {
    Answer(Claim),
    /// The case the handler held is no longer theirs: its contact hours ended (it went back on
    /// schedule), or the claim ended meanwhile.
    Released,
}

/// Why no new case was claimed: a break, or a case the handler already holds (renewed here,
/// unless the customer's contact hours ended while it was held: a call must not start then).
fn held_or_nothing(
    conn: &mut DbConn,
    reference: &Reference,
    handler_id: i64,
    now: DateTime<Utc>,
    lease_until: NaiveDateTime,
) -> AppResult<Held> {
    let now_naive = now.naive_utc();
    if let Some(until) = breaks::active_until(conn, handler_id, now_naive)? {
        return Ok(Held::Answer(Claim::OnBreak { until }));
    }
    let Some(case_id) = store::current_claim(conn, handler_id, now_naive)? else {
        return Ok(Held::Answer(Claim::NothingDue));
    };
    let case = cases::store::find(conn, case_id)?;
    if reference.rules_for(conn, &case)?.hours_close(now).is_none() {
        // Read again under its lock before ending the claim: an outcome may have been recorded,
        // this handler's other request may have ended it, or the case been erased, since.
        let case = cases::store::find_locked(conn, case_id)?;
        if !case.held_by(handler_id) {
            return Ok(Held::Released);
        }
        let case = cases::store::keep_possible_call(conn, case, now_naive)?;
        schedule::reschedule(conn, &case, now)?;
        audit::record(
            conn,
            Actor::System,
            audit::Entry::new("case_requeued", "case", Some(case_id))
                .client(Some(case.client_id))
                .detail("Contact hours ended while the handler held it; rescheduled"),
        )?;
        return Ok(Held::Released);
    }
    if !store::renew(conn, case_id, handler_id, now_naive, lease_until)? {
        // The claim ended between the look-up and the renewal (an outcome from another tab, a
        // hold): it is not theirs to be handed back; look for another case.
        return Ok(Held::Released);
    }
    Ok(Held::Answer(Claim::Claimed(Box::new(Claimed {
        history: history::load(conn, &case)?,
        risk_flagged: crate::support::risk_flagged(conn, case_id)?,
        case,
    }))))
}
