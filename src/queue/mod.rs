//! The call queue: a handler asks for the next call and gets exactly one due case, claimed for a
//! lease. Nobody else can claim it until the handler records an outcome or the lease runs out.

pub mod breaks;
pub mod store;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::{
    audit::{self, Actor},
    cases::{self, schedule, Case},
    db::DbConn,
    error::AppResult,
    scheduling::rules::may_call_now,
};

/// How long a claim lasts unless renewed (the call page renews it while open).
pub const DEFAULT_LEASE_MINUTES: i64 = 15;

/// Queued cases found no longer callable (their hours ended while they waited) are put back
/// on schedule; one request re-checks at most this many before answering "nothing due".
const MAX_RECHECKS: usize = 25;

#[derive(Debug)]
pub enum Claim {
    Claimed(Box<Case>),
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

/// Claims the next due case for a handler (or returns the one they already hold). Run inside
/// `db::write_transaction`; `promote` says whether to move newly due cases into the queue first.
pub fn claim_next(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    now: DateTime<Utc>,
    lease: Duration,
    promote: bool,
) -> AppResult<Claim> {
    let now_naive = now.naive_utc();
    let lease_until = now_naive + lease;
    if promote {
        store::promote_due(conn, now_naive)?;
    }
    if let Some(until) = breaks::active_until(conn, handler_id, now_naive)? {
        return Ok(Claim::OnBreak { until });
    }
    if let Some(case_id) = store::current_claim(conn, handler_id, now_naive)? {
        store::renew(conn, case_id, handler_id, now_naive, lease_until)?;
        return Ok(Claim::Claimed(Box::new(cases::store::find(conn, case_id)?)));
    }
    for _ in 0..MAX_RECHECKS {
        let Some(case_id) = store::claim_first_queued(conn, handler_id, now_naive, lease_until)?
        else {
            return Ok(Claim::NothingDue);
        };
        let case = cases::store::find(conn, case_id)?;
        let inputs = schedule::inputs(conn, &case)?;
        if may_call_now(
            &inputs.policy,
            case.tz(),
            &inputs.holidays,
            &inputs.history,
            now,
        ) {
            audit::record(
                conn,
                actor,
                audit::Entry::new("case_claimed", "case", Some(case.id))
                    .client(Some(case.client_id)),
            )?;
            return Ok(Claim::Claimed(Box::new(case)));
        }
        schedule::reschedule(conn, &case, now)?;
    }
    Ok(Claim::NothingDue)
}
