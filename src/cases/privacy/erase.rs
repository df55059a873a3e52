//! Erasing a customer's data, on request or when the client's retention period ends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Erasure, ERASED};
use crate::{
    audit::{self, Actor},
    cases::{store, Case, CaseStatus},
    db::{
        schema::{
            audit_log, case_erasures, cases, contact_attempts, debriefs, escalations, follow_ups,
            holds, outbox, plan_links, plans, policy_exceptions, support_mentions, vulnerabilities,
        },
        DbConn,
    },
    error::AppResult,
};

/// Erases what identifies or describes the customer of `case`; `false` when it already was.
/// Contact stops for good: the case closes (a closed case keeps its reason), unsent e-mails are
/// withdrawn and plan links stop working.
pub fn erase(
    conn: &mut DbConn,
    actor: Actor,
    case: &Case,
    why: Erasure,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let locked = store::find_locked(conn, case.id)?;
    erase_locked(conn, actor, &locked, why, now)
}

/// [`erase`], for a case the caller has just read with [`store::find_locked`].
fn erase_locked(
    conn: &mut DbConn,
    actor: Actor,
    case: &Case,
    why: Erasure,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let id = case.id;
    // The erasure row is the claim on the work: a second erasure (another instance's retention
    // run, a repeated request) finds it and does nothing.
    let claim = diesel::insert_into(case_erasures::table)
        .values((
            case_erasures::case_id.eq(id),
            case_erasures::erased_at.eq(now),
            case_erasures::reason.eq(why.as_str()),
        ))
        .on_conflict_do_nothing()
        .returning(case_erasures::case_id);
    if crate::db::portable::get_result::<_, i64>(claim, conn)
        .optional()?
        .is_none()
    {
        return Ok(false);
    }
    store::close(conn, case, "erased", now)?;
    diesel::update(cases::table.find(id))
        .set((
            cases::customer_name.eq(ERASED),
            // The client's reference (often its account number) identifies the person too; a
            // new referral with it later is a new case.
            cases::reference.eq(format!("{ERASED} {id}")),
            cases::email.eq(None::<String>),
            cases::phone.eq(None::<String>),
            cases::notes.eq(None::<String>),
            cases::circumstances.eq(None::<String>),
            cases::preferred_contact_times.eq(None::<String>),
            cases::needs.eq(None::<String>),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(contact_attempts::table.filter(contact_attempts::case_id.eq(id)))
        .set(contact_attempts::notes.eq(None::<String>))
        .execute(conn)?;
    diesel::update(holds::table.filter(holds::case_id.eq(id)))
        .set(holds::note.eq(None::<String>))
        .execute(conn)?;
    // Health and life events are special-category data: the records go (reports keep the date).
    diesel::delete(vulnerabilities::table.filter(vulnerabilities::case_id.eq(id))).execute(conn)?;
    diesel::update(escalations::table.filter(escalations::case_id.eq(id)))
        .set(escalations::note.eq(None::<String>))
        .execute(conn)?;
    diesel::update(follow_ups::table.filter(follow_ups::case_id.eq(id)))
        .set(follow_ups::note.eq(None::<String>))
        .execute(conn)?;
    diesel::update(debriefs::table.filter(debriefs::case_id.eq(id)))
        .set(debriefs::body.eq(ERASED))
        .execute(conn)?;
    diesel::update(policy_exceptions::table.filter(policy_exceptions::case_id.eq(id)))
        .set((
            policy_exceptions::arrangement.eq(ERASED),
            policy_exceptions::reason.eq(ERASED),
        ))
        .execute(conn)?;
    // An arrangement still awaiting a second handler is for nobody now: off their lists.
    diesel::update(
        policy_exceptions::table
            .filter(policy_exceptions::case_id.eq(id))
            .filter(policy_exceptions::status.eq("proposed")),
    )
    .set(policy_exceptions::status.eq("withdrawn"))
    .execute(conn)?;
    let plan_ids = plans::table.filter(plans::case_id.eq(id)).select(plans::id);
    diesel::delete(plan_links::table.filter(plan_links::plan_id.eq_any(plan_ids))).execute(conn)?;
    diesel::update(plans::table.filter(plans::case_id.eq(id)))
        .set((
            plans::email.eq(""),
            plans::income_expenditure.eq(None::<String>),
            plans::affordability_note.eq(None::<String>),
            plans::change_message.eq(None::<String>),
        ))
        .execute(conn)?;
    // Which organisations were mentioned says what the customer needed help with.
    diesel::delete(support_mentions::table.filter(support_mentions::case_id.eq(id)))
        .execute(conn)?;
    // Entries written before the trail kept counts only named the needs.
    diesel::update(
        audit_log::table
            .filter(audit_log::entity.eq("case"))
            .filter(audit_log::entity_id.eq(id))
            .filter(audit_log::action.eq("support_recorded")),
    )
    .set(audit_log::detail.eq(ERASED))
    .execute(conn)?;
    // The customer's mail only: a supervisor's alert about the case goes to staff, carries ids
    // alone, and must still reach them (a risk to life raised just before the erasure).
    let customers_mail = outbox::table
        .filter(outbox::case_id.eq(id))
        .filter(outbox::kind.ne(crate::mail::outbox::kind::SUPERVISOR_ALERT));
    diesel::update(customers_mail.filter(outbox::status.eq_any(["pending", "sending"])))
        .set(outbox::status.eq("suppressed"))
        .execute(conn)?;
    diesel::update(customers_mail)
        .set((
            outbox::recipient.eq(""),
            outbox::payload.eq("{}"),
            // Delivery errors often quote the address.
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("case_erased", "case", Some(id))
            .client(Some(case.client_id))
            .detail(why.as_str()),
    )?;
    Ok(true)
}

/// Whether retention applies to the case at all: closed, or held because its customer died.
/// Any other hold keeps the case, however long nothing happens to it: erased, its reference
/// would no longer match, and the same customer referred again would be a new case without the
/// Breathing Space, the welfare hold or the request not to be contacted.
fn retained_no_longer(conn: &mut DbConn, case: &Case) -> AppResult<bool> {
    Ok(case.status == CaseStatus::Closed.as_str()
        || (case.status == CaseStatus::OnHold.as_str()
            && crate::cases::holds::known_to_have_died(conn, case.id)?))
}

/// Cases past their client's retention period (see [`retained_no_longer`]), with the cutoff
/// that made them due: per client, at most `per_client`, the longest untouched first.
pub fn past_retention(
    conn: &mut DbConn,
    now: NaiveDateTime,
    per_client: i64,
) -> AppResult<Vec<(i64, NaiveDateTime)>> {
    use crate::db::schema::clients;
    let policies: Vec<(i64, i32)> = clients::table
        .filter(clients::retention_days.is_not_null())
        .order(clients::id)
        .select((clients::id, clients::retention_days.assume_not_null()))
        .load(conn)?;
    let mut due = Vec::new();
    for (client_id, days) in policies {
        let cutoff = now - chrono::Duration::days(days.into());
        let deceased_hold = holds::table
            .filter(holds::case_id.eq(cases::id))
            .filter(holds::kind.eq("deceased"))
            .filter(holds::lifted_at.is_null());
        let cases: Vec<i64> = cases::table
            .left_join(case_erasures::table)
            .filter(cases::client_id.eq(client_id))
            .filter(
                cases::status
                    .eq(CaseStatus::Closed.as_str())
                    .or(cases::status
                        .eq(CaseStatus::OnHold.as_str())
                        .and(diesel::dsl::exists(deceased_hold))),
            )
            .filter(cases::updated_at.lt(cutoff))
            .filter(case_erasures::case_id.is_null())
            .order(cases::updated_at)
            .select(cases::id)
            .limit(per_client)
            .load(conn)?;
        due.extend(cases.into_iter().map(|id| (id, cutoff)));
    }
    Ok(due)
}

/// Arbitrary but fixed: the key every instance's retention round locks on.
pub const RETENTION_LOCK_KEY: i64 = 0x7265_7465_6e74_696f; // "retentio"

/// [`apply_retention`] in one instance at a time: with several instances an hour's round is
/// run by whichever takes it first (`None` for the others), instead of by all of them walking
/// the same cases in the same order and waiting on each other's locks.
///
/// The round ends early, between two cases, once `stop` says so (the instance is stopping).
pub fn apply_retention_alone(
    conn: &mut DbConn,
    now: NaiveDateTime,
    stop: &dyn Fn() -> bool,
) -> AppResult<Option<usize>> {
    crate::db::alone(conn, RETENTION_LOCK_KEY, |conn| {
        apply_retention_until(conn, now, stop)
    })
}

/// Erases every case whose client's retention period has run out, a batch per client at a time
/// (so one client's backlog does not hold up another's), each case in its own transaction;
/// returns how many were erased. Safe with several instances running: each case is erased once
/// (see [`erase`]), and one reopened since it was listed is left alone.
pub fn apply_retention(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    apply_retention_until(conn, now, &|| false)
}

fn apply_retention_until(
    conn: &mut DbConn,
    now: NaiveDateTime,
    stop: &dyn Fn() -> bool,
) -> AppResult<usize> {
    const PER_CLIENT: i64 = 500;
    // Bounds one run; whatever is left waits for the next.
    const MAX_BATCHES: usize = 100;
    let mut erased = 0;
    for _ in 0..MAX_BATCHES {
        let due = past_retention(conn, now, PER_CLIENT)?;
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for (case_id, cutoff) in due {
            if stop() {
                return Ok(erased);
            }
            let done = crate::db::write_transaction(conn, |conn| {
                let case = store::find_locked(conn, case_id)?;
                let still_due = case.updated_at < cutoff && retained_no_longer(conn, &case)?;
                if !still_due {
                    return Ok(false);
                }
                erase_locked(conn, Actor::System, &case, Erasure::Retention, now)
            })?;
            erased += usize::from(done);
            progressed |= done;
        }
        if !progressed {
            break;
        }
    }
    Ok(erased)
}
