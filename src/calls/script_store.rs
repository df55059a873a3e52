//! Script versions: each save is a new row; the newest is the script in use.

use diesel::prelude::*;
use serde::Serialize;

use super::script::{self, ScriptContext, DEFAULT_SCRIPT};
use crate::{
    audit::{self, Actor},
    cases::Case,
    db::{
        schema::{clients, script_versions},
        DbConn,
    },
    error::AppResult,
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

/// The case's script context (customer, client, amount, handler and support organisations).
pub fn context_for(conn: &mut DbConn, case: &Case, handler_name: &str) -> AppResult<ScriptContext> {
    let client_name: String = clients::table
        .find(case.client_id)
        .select(clients::name)
        .first(conn)?;
    Ok(ScriptContext {
        customer_first_name: case.first_name().to_string(),
        client_name,
        amount_owed: case
            .money()
            .map(|m| m.to_string())
            .unwrap_or_else(|| case.amount_owed_minor.to_string()),
        handler_name: handler_name.to_string(),
        support_organisations: crate::support::for_call(conn, case)?,
    })
}

/// The current script rendered for one case.
pub fn render_for(
    conn: &mut DbConn,
    case: &Case,
    handler_name: &str,
) -> AppResult<script::RenderedScript> {
    let (version_id, source) = current(conn)?;
    let context = context_for(conn, case, handler_name)?;
    script::render(version_id, &source, &context)
}
