//! Script versions: each save is a new row; the newest is the script in use.

use std::sync::Arc;

use diesel::prelude::*;
use serde::Serialize;

use super::script::{self, ScriptContext, DEFAULT_SCRIPT};
use crate::{
    audit::{self, Actor},
    cases::Case,
    db::{schema::script_versions, DbConn},
    error::AppResult,
    reference::Reference,
};

/// The script in use: (version id, source). The shipped default becomes version 1 on first use.
pub fn current(conn: &mut DbConn) -> AppResult<(i64, String)> {
    let latest: Option<(i64, String)> = script_versions::table
        .order(script_versions::id.desc())
        .select((script_versions::id, script_versions::body))
        .first(conn)
        .optional()?;
    match latest {
        Some(found) => Ok(found),
        None => {
            let now = chrono::Utc::now().naive_utc();
            diesel::insert_into(script_versions::table)
                .values((
                    script_versions::body.eq(DEFAULT_SCRIPT),
                    script_versions::created_at.eq(now),
                ))
                .execute(conn)?;
            current(conn)
        }
    }
}

/// How many older versions are tried when the newest cannot be used.
const FALLBACK_VERSIONS: i64 = 20;

/// The script handlers are given: the newest version, or, when it cannot be compiled (saved
/// under an earlier release whose checks were looser: a macro, say), the newest one before it
/// that can, so every call still opens with its no-payment statement. The one skipped is logged
/// for a supervisor to replace.
pub fn usable(conn: &mut DbConn) -> AppResult<script::CompiledScript> {
    let (newest_id, newest) = current(conn)?;
    let refused = match script::CompiledScript::new(newest_id, &newest) {
        Ok(compiled) => return Ok(compiled),
        Err(refused) => refused,
    };
    let older: Vec<(i64, String)> = script_versions::table
        .filter(script_versions::id.lt(newest_id))
        .order(script_versions::id.desc())
        .select((script_versions::id, script_versions::body))
        .limit(FALLBACK_VERSIONS)
        .load(conn)?;
    for (id, source) in older {
        if let Ok(compiled) = script::CompiledScript::new(id, &source) {
            tracing::error!(
                unusable = newest_id,
                used = id,
                error = %refused,
                "the current call script cannot be used: handlers are given an earlier version until a supervisor saves a new one"
            );
            return Ok(compiled);
        }
    }
    Err(refused)
}

/// Saves a new version after checking it (statement first, template renders).
pub fn save(
    conn: &mut DbConn,
    actor: Actor,
    author: i64,
    body: &str,
    now: chrono::NaiveDateTime,
) -> AppResult<i64> {
    script::validate(body)?;
    let id = crate::db::portable::get_result(
        diesel::insert_into(script_versions::table)
            .values((
                script_versions::body.eq(body),
                script_versions::created_by.eq(author),
                script_versions::created_at.eq(now),
            ))
            .returning(script_versions::id),
        conn,
    )?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("script_saved", "script_version", Some(id)),
    )?;
    Ok(id)
}

#[derive(Queryable, Serialize, Debug)]
pub struct VersionListItem {
    pub id: i64,
    pub created_by: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
}

pub fn versions(conn: &mut DbConn) -> AppResult<Vec<VersionListItem>> {
    Ok(script_versions::table
        .order(script_versions::id.desc())
        .limit(20)
        .select((
            script_versions::id,
            script_versions::created_by,
            script_versions::created_at,
        ))
        .load(conn)?)
}

/// The case's script context (customer, client, amount, handler and support organisations);
/// `risk_flagged` puts crisis lines first.
pub fn context_for(
    conn: &mut DbConn,
    reference: &Reference,
    case: &Case,
    risk_flagged: bool,
    handler_name: &str,
) -> AppResult<ScriptContext> {
    Ok(ScriptContext {
        customer_first_name: case.first_name().to_string(),
        client_name: reference.client_name(conn, case.client_id)?.to_string(),
        amount_owed: case
            .money()
            .map(|m| m.to_string())
            .unwrap_or_else(|| case.amount_owed_minor.to_string()),
        handler_name: handler_name.to_string(),
        support_organisations: crate::support::for_call(
            &reference.directory(conn)?,
            case,
            risk_flagged,
        ),
    })
}

/// The current script and one case's context: all a rendering needs, gathered on a connection
/// (from the caches, mostly) so the rendering itself can happen once the connection is back in
/// the pool.
pub struct ScriptFor {
    script: Arc<script::CompiledScript>,
    context: ScriptContext,
}

impl ScriptFor {
    pub fn render(&self) -> AppResult<script::RenderedScript> {
        self.script.render(&self.context)
    }
}

pub fn script_for(
    conn: &mut DbConn,
    reference: &Reference,
    case: &Case,
    risk_flagged: bool,
    handler_name: &str,
) -> AppResult<ScriptFor> {
    Ok(ScriptFor {
        context: context_for(conn, reference, case, risk_flagged, handler_name)?,
        script: reference.script(conn)?,
    })
}
