//! Two-person exceptions: a handler may agree an arrangement outside the client's policy when a
//! second handler approves it; a supervisor (a third person) reviews each decision afterwards.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::welfare::checked_text;
use crate::{
    audit::{self, Actor},
    cases,
    db::{
        portable,
        schema::{policy_exceptions, users},
        DbConn,
    },
    error::{AppError, AppResult},
};

/// The states of a decided exception: what a supervisor reviews (not one `proposed`, nor one
/// `withdrawn` undecided when its customer's data was erased).
const DECIDED: [&str; 2] = ["approved", "declined"];

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExceptionRequest {
    /// What was agreed outside policy, in words.
    #[serde(default)]
    pub arrangement: String,
    /// Why it is right for this customer.
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExceptionDecision {
    /// `approve` or `decline`.
    #[serde(default)]
    pub decision: String,
}

pub fn propose_exception(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    case_id: i64,
    request: &ExceptionRequest,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let arrangement = checked_text("arrangement", &request.arrangement, 1000)?;
    let reason = checked_text("reason", &request.reason, 2000)?;
    let case = cases::store::find_claimed_by_on_call(conn, case_id, handler_id, now)?;
    let id = portable::get_result(
        diesel::insert_into(policy_exceptions::table)
            .values((
                policy_exceptions::case_id.eq(case_id),
                policy_exceptions::proposed_by.eq(handler_id),
                policy_exceptions::arrangement.eq(arrangement),
                policy_exceptions::reason.eq(reason),
                policy_exceptions::status.eq("proposed"),
                policy_exceptions::created_at.eq(now),
            ))
            .returning(policy_exceptions::id),
        conn,
    )?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("exception_proposed", "case", Some(case_id)).client(Some(case.client_id)),
    )?;
    Ok(id)
}

/// A different handler approves or declines; approved exceptions take effect at once and wait
/// for a supervisor's review.
pub fn decide_exception(
    conn: &mut DbConn,
    actor: Actor,
    decider_id: i64,
    exception_id: i64,
    decision: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let status = match decision.trim() {
        "approve" => "approved",
        "decline" => "declined",
        _ => return Err(AppError::field("decision", "must be approve or decline")),
    };
    let (proposer, current, case_id, decided_by): (i64, String, i64, Option<i64>) =
        policy_exceptions::table
            .find(exception_id)
            .select((
                policy_exceptions::proposed_by,
                policy_exceptions::status,
                policy_exceptions::case_id,
                policy_exceptions::decided_by,
            ))
            .first(conn)?;
    if proposer == decider_id {
        return Err(AppError::Conflict(
            "A second handler must decide: you proposed this exception.".into(),
        ));
    }
    // An arrangement is for a customer still being helped: not one whose case closed since it
    // was proposed, nor one whose data was erased (its text is gone).
    let case = cases::store::find(conn, case_id)?;
    let erased = cases::privacy::erased_at(conn, case_id)?.is_some();
    if current == "proposed" && (erased || case.status == cases::CaseStatus::Closed.as_str()) {
        return Err(AppError::Conflict(
            "This case has closed since the exception was proposed: it can no longer be decided."
                .into(),
        ));
    }
    // The same decision by the same handler again (a double click, a retried request) stands
    // as it was made, instead of showing them an error over a decision that was saved.
    if current == status && decided_by == Some(decider_id) {
        return Ok(current);
    }
    if current != "proposed" {
        return Err(AppError::Conflict(format!(
            "This exception was already {current}."
        )));
    }
    // Only while still proposed: two handlers deciding at once must not both succeed.
    let decided = diesel::update(policy_exceptions::table.find(exception_id))
        .filter(policy_exceptions::status.eq("proposed"))
        .set((
            policy_exceptions::status.eq(status),
            policy_exceptions::decided_by.eq(decider_id),
            policy_exceptions::decided_at.eq(now),
        ))
        .execute(conn)?;
    if decided == 0 {
        // Decided meanwhile: by this handler's own first click, or by someone else.
        let (now_status, now_by): (String, Option<i64>) = policy_exceptions::table
            .find(exception_id)
            .select((policy_exceptions::status, policy_exceptions::decided_by))
            .first(conn)?;
        if now_status == status && now_by == Some(decider_id) {
            return Ok(now_status);
        }
        return Err(AppError::Conflict(
            "Another handler has just decided this exception.".into(),
        ));
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new(&format!("exception_{status}"), "case", Some(case_id))
            .client(Some(case.client_id)),
    )?;
    Ok(status.to_string())
}

pub fn review_exception(
    conn: &mut DbConn,
    actor: Actor,
    supervisor_id: i64,
    exception_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    // A review is a third person's look: not the proposer's, not the decider's.
    let updated = diesel::update(policy_exceptions::table.find(exception_id))
        .filter(policy_exceptions::status.eq_any(DECIDED))
        .filter(policy_exceptions::reviewed_at.is_null())
        .filter(policy_exceptions::proposed_by.ne(supervisor_id))
        .filter(policy_exceptions::decided_by.ne(supervisor_id))
        .set((
            policy_exceptions::reviewed_by.eq(supervisor_id),
            policy_exceptions::reviewed_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        // Sent twice (a double click, a refresh): this supervisor's own review is done.
        return match refusal_of_review(conn, supervisor_id, exception_id)? {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        };
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("exception_reviewed", "policy_exception", Some(exception_id)),
    )
}

/// Why a review was not recorded, in the supervisor's terms; `None` when it needs none (their
/// own review is already recorded).
fn refusal_of_review(
    conn: &mut DbConn,
    supervisor_id: i64,
    exception_id: i64,
) -> AppResult<Option<AppError>> {
    let (status, reviewed_by): (String, Option<i64>) = policy_exceptions::table
        .find(exception_id)
        .select((policy_exceptions::status, policy_exceptions::reviewed_by))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let conflict = |message: &str| Some(AppError::Conflict(message.into()));
    Ok(match reviewed_by {
        Some(by) if by == supervisor_id => None,
        Some(_) => conflict("Another supervisor has already reviewed this arrangement."),
        None if !DECIDED.contains(&status.as_str()) => {
            conflict("This arrangement has not been decided yet.")
        }
        None => {
            conflict("A review is a third person's look: you proposed or decided this arrangement.")
        }
    })
}

#[derive(Queryable, Serialize, Debug)]
pub struct ExceptionItem {
    pub id: i64,
    pub case_id: i64,
    pub arrangement: String,
    pub reason: String,
    pub status: String,
    pub proposed_by_name: String,
    pub created_at: NaiveDateTime,
    /// Who proposed and who decided it: neither may decide or review their own (the pages
    /// offer those buttons to others only).
    pub proposed_by: i64,
    pub decided_by: Option<i64>,
    /// The second handler, for the supervisor's review of the decision.
    pub decided_by_name: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
}

/// Exceptions in a state: `proposed` (awaiting a second handler) or unreviewed decisions.
pub fn exceptions(conn: &mut DbConn, awaiting_review: bool) -> AppResult<Vec<ExceptionItem>> {
    let (proposers, deciders) = diesel::alias!(users as proposers, users as deciders);
    let mut query = policy_exceptions::table
        .inner_join(
            proposers.on(proposers
                .field(users::id)
                .eq(policy_exceptions::proposed_by)),
        )
        .left_join(
            deciders.on(deciders
                .field(users::id)
                .nullable()
                .eq(policy_exceptions::decided_by)),
        )
        .select((
            policy_exceptions::id,
            policy_exceptions::case_id,
            policy_exceptions::arrangement,
            policy_exceptions::reason,
            policy_exceptions::status,
            proposers.field(users::display_name),
            policy_exceptions::created_at,
            policy_exceptions::proposed_by,
            policy_exceptions::decided_by,
            deciders.field(users::display_name).nullable(),
            policy_exceptions::decided_at,
        ))
        .order(policy_exceptions::id.desc())
        .limit(100)
        .into_boxed();
    query = if awaiting_review {
        query
            .filter(policy_exceptions::status.eq_any(DECIDED))
            .filter(policy_exceptions::reviewed_at.is_null())
    } else {
        query.filter(policy_exceptions::status.eq("proposed"))
    };
    Ok(query.load(conn)?)
}
