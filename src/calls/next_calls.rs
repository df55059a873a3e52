//! Handlers asking the API for their next call at the same moment are answered together: their
//! tokens checked with one query and their cases claimed with one statement
//! (`queue::claim_next_for_each`), on one connection. Most of a claim's database time is the
//! statement's, not its rows' (README, Benchmarks), so under load this saves most of it; a
//! request on its own is a batch of one and waits for nothing.

use std::sync::Mutex;

use actix_web::web;
use tokio::sync::oneshot;

use super::script_store::{script_for, ScriptFor};
use crate::{
    auth::api::{verify_all, StaffBearer},
    db::{self, DbConn},
    error::{AppError, AppResult},
    queue::{self, Asking, Claim},
    state::AppState,
};

/// At most this many requests in one batch.
const MAX_BATCH: usize = 32;

/// Batches running at once. A batch spends part of its time waiting for its commit to reach
/// disk; a second one keeps the database busy meanwhile, and requests arriving during both
/// form the next.
const MAX_BATCHES_AT_ONCE: usize = 2;

/// The handler's answer: the claim (or why there is none) and what its script needs.
pub struct NextCall {
    pub claim: Claim,
    pub script: Option<ScriptFor>,
}

struct Asked {
    bearer: StaffBearer,
    answer: oneshot::Sender<AppResult<NextCall>>,
}

#[derive(Default)]
struct Waiting {
    asked: Vec<Asked>,
    batches_running: usize,
}

/// The requests waiting for a batch, per instance.
#[derive(Default)]
pub struct NextCalls {
    waiting: Mutex<Waiting>,
}

impl NextCalls {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The next call for the handler holding `bearer` (see `queue::claim_next`).
pub async fn ask(state: &web::Data<AppState>, bearer: StaffBearer) -> AppResult<NextCall> {
    let (answer, answered) = oneshot::channel();
    let start_batch = {
        let mut waiting = state.next_calls.waiting();
        waiting.asked.push(Asked { bearer, answer });
        let start = waiting.batches_running < MAX_BATCHES_AT_ONCE;
        if start {
            waiting.batches_running += 1;
        }
        start
    };
    if start_batch {
        actix_web::rt::spawn(run_batches(state.clone()));
    }
    answered
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a claim batch ended without answering")))?
}

/// A batch runner, counted out when it finds nobody waiting (under the same lock a request
/// checks the count with, so no request is ever left to a runner on its way out). Should it end
/// any other way, it is counted out as it goes, and if it was the last, the requests still
/// waiting are answered with an error instead of waiting for nobody.
struct Runner {
    state: web::Data<AppState>,
    counted_out: bool,
}

impl Drop for Runner {
    fn drop(&mut self) {
        if !self.counted_out {
            let mut waiting = self.state.next_calls.waiting();
            waiting.batches_running -= 1;
            if waiting.batches_running == 0 {
                waiting.asked.clear();
            }
        }
    }
}

/// Answers batches until nobody is waiting.
async fn run_batches(state: web::Data<AppState>) {
    let mut runner = Runner {
        state: state.clone(),
        counted_out: false,
    };
    loop {
        let batch: Vec<Asked> = {
            let mut waiting = state.next_calls.waiting();
            if waiting.asked.is_empty() {
                waiting.batches_running -= 1;
                runner.counted_out = true;
                return;
            }
            let n = waiting.asked.len().min(MAX_BATCH);
            waiting.asked.drain(..n).collect()
        };
        let (bearers, answers): (Vec<StaffBearer>, Vec<_>) =
            batch.into_iter().map(|a| (a.bearer, a.answer)).unzip();
        let app = state.clone();
        let now = state.clock.now();
        match db::run(&state.pool, move |conn| {
            answer_all(conn, &app, bearers, now)
        })
        .await
        {
            Ok(answered) => {
                for (answer, next) in answers.into_iter().zip(answered) {
                    // A handler who gave up waiting finds the case theirs when they ask again.
                    let _ = answer.send(next);
                }
            }
            Err(e) => {
                for answer in answers {
                    let _ = answer.send(Err(e.for_each_request()));
                }
            }
        }
    }
}

/// Each request's answer, in order. A refused token is that request's answer alone; so is a
/// failure after the claims committed (one handler's case, not the others').
fn answer_all(
    conn: &mut DbConn,
    state: &AppState,
    bearers: Vec<StaffBearer>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<AppResult<NextCall>>> {
    let staff = verify_all(conn, state, bearers)?;
    let asking: Vec<Asking> = staff
        .iter()
        .flatten()
        .map(|staff| Asking {
            actor: staff.actor(),
            handler_id: staff.user.id,
        })
        .collect();
    // Asked only for known handlers: strangers' requests must not use up the promotion's turn.
    let promote = !asking.is_empty() && state.promotion.due(now);
    let lease = queue::lease();
    let reference = state.reference.as_ref();
    let mut claims =
        match queue::claim_next_for_each(conn, reference, &asking, now, lease, promote) {
            Ok(claims) => claims,
            Err(e) => asking.iter().map(|_| Err(e.for_each_request())).collect(),
        }
        .into_iter();
    let mut answered = Vec::with_capacity(staff.len());
    for staff in staff {
        answered.push(staff.and_then(|staff| {
            let claim = claims.next().unwrap_or(Ok(Claim::NothingDue))?;
            let script = match &claim {
                Claim::Claimed(held) => Some(script_for(
                    conn,
                    reference,
                    &held.case,
                    held.risk_flagged,
                    &staff.user.display_name,
                )?),
                _ => None,
            };
            Ok(NextCall { claim, script })
        }));
    }
    Ok(answered)
}
