//! Read models for the handler's and supervisor's pages.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::{
    db::{
        schema::{
            contact_attempts, debriefs, escalations, follow_ups, handler_breaks, users,
            vulnerabilities,
        },
        DbConn,
    },
    error::{AppError, AppResult},
};

#[derive(Queryable, Serialize, Debug)]
pub struct AttemptItem {
    pub case_id: i64,
    pub attempted_at: NaiveDateTime,
    pub outcome: String,
    pub handler_name: String,
    pub notes: Option<String>,
}

pub fn attempts_for_case(conn: &mut DbConn, case_id: i64) -> AppResult<Vec<AttemptItem>> {
    Ok(contact_attempts::table
        .inner_join(users::table)
        .filter(contact_attempts::case_id.eq(case_id))
        .order(contact_attempts::id.desc())
        .select((
            contact_attempts::case_id,
            contact_attempts::attempted_at,
            contact_attempts::outcome,
            users::display_name,
            contact_attempts::notes,
        ))
        .load(conn)?)
}

pub fn attempts_by_handler_since(
    conn: &mut DbConn,
    handler_id: i64,
    since: NaiveDateTime,
) -> AppResult<Vec<AttemptItem>> {
    Ok(contact_attempts::table
        .inner_join(users::table)
        .filter(contact_attempts::handler_id.eq(handler_id))
        .filter(contact_attempts::attempted_at.ge(since))
        .order(contact_attempts::id.desc())
        .select((
            contact_attempts::case_id,
            contact_attempts::attempted_at,
            contact_attempts::outcome,
            users::display_name,
            contact_attempts::notes,
        ))
        .load(conn)?)
}

#[derive(Queryable, Serialize, Debug)]
pub struct VulnerabilityItem {
    pub id: i64,
    pub drivers: String,
    pub consent_how: Option<String>,
    /// `None`: the customer themselves.
    pub consented_by: Option<String>,
    pub note: Option<String>,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: String,
}

pub fn vulnerabilities_for_case(
    conn: &mut DbConn,
    case_id: i64,
) -> AppResult<Vec<VulnerabilityItem>> {
    Ok(vulnerabilities::table
        .inner_join(users::table.on(users::id.eq(vulnerabilities::recorded_by)))
        .filter(vulnerabilities::case_id.eq(case_id))
        .order(vulnerabilities::id.desc())
        .select((
            vulnerabilities::id,
            vulnerabilities::drivers,
            vulnerabilities::consent_how,
            vulnerabilities::consented_by,
            vulnerabilities::note,
            vulnerabilities::recorded_at,
            users::display_name,
        ))
        .load(conn)?)
}

#[derive(Queryable, Serialize, Debug)]
pub struct TeamActivity {
    pub handler_name: String,
    pub calls: i64,
}

pub fn team_activity_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> AppResult<Vec<TeamActivity>> {
    Ok(contact_attempts::table
        .inner_join(users::table)
        .filter(contact_attempts::attempted_at.ge(since))
        // By person: two handlers may share a name.
        .group_by((users::id, users::display_name))
        .select((
            users::display_name,
            diesel::dsl::count(contact_attempts::id),
        ))
        .order((users::display_name, users::id))
        .load(conn)?)
}

#[derive(Queryable, Serialize, Debug)]
pub struct EscalationItem {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub note: Option<String>,
    pub raised_by_name: String,
    pub raised_at: NaiveDateTime,
}

pub fn open_escalations(conn: &mut DbConn) -> AppResult<Vec<EscalationItem>> {
    Ok(escalations::table
        .inner_join(users::table.on(users::id.eq(escalations::raised_by)))
        .filter(escalations::resolved_at.is_null())
        .order(escalations::id.desc())
        .select((
            escalations::id,
            escalations::case_id,
            escalations::kind,
            escalations::note,
            users::display_name,
            escalations::raised_at,
        ))
        .load(conn)?)
}

/// Resolves an escalation; `false` when it already was (the same resolve sent twice: what was
/// asked is so), `NotFound` when there is no such escalation.
pub fn resolve_escalation(
    conn: &mut DbConn,
    id: i64,
    supervisor_id: i64,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let updated = diesel::update(escalations::table.find(id))
        .filter(escalations::resolved_at.is_null())
        .set((
            escalations::resolved_by.eq(supervisor_id),
            escalations::resolved_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 1 {
        return Ok(true);
    }
    let resolved_at: Option<NaiveDateTime> = escalations::table
        .find(id)
        .select(escalations::resolved_at)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    match resolved_at {
        Some(_) => Ok(false),
        None => Err(AppError::NotFound),
    }
}

#[derive(Queryable, Serialize, Debug)]
pub struct FollowUpItem {
    pub id: i64,
    pub handler_name: String,
    pub case_id: Option<i64>,
    pub reason: String,
    pub requested_at: NaiveDateTime,
    /// Whose call it was: another supervisor records their follow-up.
    pub handler_id: i64,
}

pub fn open_follow_ups(conn: &mut DbConn) -> AppResult<Vec<FollowUpItem>> {
    Ok(follow_ups::table
        .inner_join(users::table.on(users::id.eq(follow_ups::handler_id)))
        .filter(follow_ups::completed_at.is_null())
        .order(follow_ups::id.desc())
        .select((
            follow_ups::id,
            users::display_name,
            follow_ups::case_id,
            follow_ups::reason,
            follow_ups::requested_at,
            follow_ups::handler_id,
        ))
        .load(conn)?)
}

#[derive(Queryable, Serialize, Debug)]
pub struct DebriefItem {
    pub id: i64,
    pub handler_name: String,
    pub case_id: Option<i64>,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn recent_debriefs(conn: &mut DbConn) -> AppResult<Vec<DebriefItem>> {
    Ok(debriefs::table
        .inner_join(users::table.on(users::id.eq(debriefs::handler_id)))
        .order(debriefs::id.desc())
        .limit(50)
        .select((
            debriefs::id,
            users::display_name,
            debriefs::case_id,
            debriefs::body,
            debriefs::created_at,
        ))
        .load(conn)?)
}

#[derive(Queryable, Serialize, Debug)]
pub struct BreakItem {
    pub handler_name: String,
    pub ends_at: NaiveDateTime,
    pub reason: String,
}

pub fn active_breaks(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Vec<BreakItem>> {
    Ok(handler_breaks::table
        .inner_join(users::table.on(users::id.eq(handler_breaks::user_id)))
        .filter(handler_breaks::starts_at.le(now))
        .filter(handler_breaks::ends_at.gt(now))
        .select((
            users::display_name,
            handler_breaks::ends_at,
            handler_breaks::reason,
        ))
        .load(conn)?)
}
