//! Erasing a customer's data, on request or when the client's retention period ends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Erasure, ERASED};
use crate::{
    audit::{self, Actor},
    cases::{store, Case, CaseStatus},
    db::{
        schema::{
            case_erasures, cases, contact_attempts, debriefs, escalations, follow_ups, holds,
            outbox, plan_links, plans, policy_exceptions, vulnerabilities,
        },
        DbConn,
    },
    error::AppResult,
};

/// Erases what identifies or describes the customer of `case_id`; `false` when it already was.
/// Contact stops for good: the case closes (a closed case keeps its reason), unsent e-mails are
/// withdrawn and plan links stop working.
pub fn erase(
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
    if case.status != CaseStatus::Closed.as_str() {
        let closed = store::ScheduleUpdate {
            status: CaseStatus::Closed,
            closed_reason: Some("erased"),
            next_contact_at: None,
            contact_window_end: None,
            priority_band: case.priority_band,
        };
        store::apply_schedule(conn, id, closed, now)?;
    }
    diesel::update(cases::table.find(id))
        .set((
            cases::customer_name.eq(ERASED),
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
    diesel::update(
        outbox::table
            .filter(outbox::case_id.eq(id))
            .filter(outbox::status.eq_any(["pending", "sending"])),
    )
    .set(outbox::status.eq("suppressed"))
    .execute(conn)?;
    diesel::update(outbox::table.filter(outbox::case_id.eq(id)))
        .set((outbox::recipient.eq(""), outbox::payload.eq("{}")))
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

/// Closed cases of clients with a retention period, closed longer ago than it: at most `limit`,
/// oldest first.
pub fn past_retention(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> AppResult<Vec<i64>> {
    use crate::db::schema::clients;
    let policies: Vec<(i64, i32)> = clients::table
        .filter(clients::retention_days.is_not_null())
        .select((clients::id, clients::retention_days.assume_not_null()))
        .load(conn)?;
    let mut due = Vec::new();
    for (client_id, days) in policies {
        let cutoff = now - chrono::Duration::days(days.into());
        let left = limit - due.len() as i64;
        if left <= 0 {
            break;
        }
        due.extend(
            cases::table
                .left_join(case_erasures::table)
                .filter(cases::client_id.eq(client_id))
                .filter(cases::status.eq(CaseStatus::Closed.as_str()))
                .filter(cases::updated_at.lt(cutoff))
                .filter(case_erasures::case_id.is_null())
                .order(cases::updated_at)
                .select(cases::id)
                .limit(left)
                .load::<i64>(conn)?,
        );
    }
    Ok(due)
}

/// Erases the cases whose client's retention period has run out, a batch at a time, each in its
/// own transaction; returns how many were erased. Safe with several instances running: each
/// case is erased once (see [`erase`]).
pub fn apply_retention(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    const BATCH: i64 = 500;
    let mut erased = 0;
    for case_id in past_retention(conn, now, BATCH)? {
        let done = crate::db::write_transaction(conn, |conn| {
            let case = store::find(conn, case_id)?;
            erase(conn, Actor::System, &case, Erasure::Retention, now)
        })?;
        erased += usize::from(done);
    }
    Ok(erased)
}
