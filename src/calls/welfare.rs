//! Handler welfare: supervisor follow-ups after difficult calls, and debriefs. (Two-person
//! exceptions are in `exceptions`.)

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    audit::{self, Actor},
    cases,
    db::{
        portable,
        schema::{debriefs, follow_ups},
        DbConn,
    },
    error::{AppError, AppResult},
    payment_guard,
};

/// Free text from staff: required, bounded, and free of payment data.
pub(super) fn checked_text(field: &str, text: &str, max: usize) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field(field, "is required"));
    }
    payment_guard::check_text(text, max).map_err(|message| AppError::field(field, message))?;
    Ok(text.to_string())
}

pub fn request_follow_up(
    conn: &mut DbConn,
    handler_id: i64,
    case_id: Option<i64>,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(follow_ups::table)
        .values((
            follow_ups::handler_id.eq(handler_id),
            follow_ups::case_id.eq(case_id),
            follow_ups::reason.eq(reason),
            follow_ups::requested_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn complete_follow_up(
    conn: &mut DbConn,
    actor: Actor,
    supervisor_id: i64,
    id: i64,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let note = checked_text("note", note, 2000)?;
    // A follow-up is a check on how someone is after a hard call: by somebody else.
    let about: i64 = follow_ups::table
        .find(id)
        .select(follow_ups::handler_id)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if about == supervisor_id {
        return Err(AppError::Conflict(
            "This follow-up is about your own call: another supervisor records it.".into(),
        ));
    }
    let updated = diesel::update(follow_ups::table.find(id))
        .filter(follow_ups::completed_at.is_null())
        .set((
            follow_ups::completed_by.eq(supervisor_id),
            follow_ups::completed_at.eq(now),
            follow_ups::note.eq(note),
        ))
        .execute(conn)?;
    if updated == 0 {
        // Sent twice (a double click, a refresh): done already, by this supervisor, is done.
        let completed_by: Option<i64> = follow_ups::table
            .find(id)
            .select(follow_ups::completed_by)
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        return match completed_by {
            Some(by) if by == supervisor_id => Ok(()),
            _ => Err(AppError::Conflict(
                "Another supervisor has already recorded this follow-up.".into(),
            )),
        };
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("follow_up_completed", "follow_up", Some(id)),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DebriefRequest {
    pub case_id: Option<i64>,
    #[serde(default)]
    pub body: String,
}

/// The handler is on a call with this case, recorded a call on it, or raised a risk to life on it.
fn called(conn: &mut DbConn, handler_id: i64, case: &cases::Case) -> AppResult<bool> {
    use crate::db::schema::contact_attempts;
    if case.held_by(handler_id) {
        return Ok(true);
    }
    let attempted: bool = diesel::select(diesel::dsl::exists(
        contact_attempts::table
            .filter(contact_attempts::case_id.eq(case.id))
            .filter(contact_attempts::handler_id.eq(handler_id)),
    ))
    .get_result(conn)?;
    Ok(attempted || super::safeguarding::raised_risk_to_life(conn, case.id, handler_id)?)
}

pub fn write_debrief(
    conn: &mut DbConn,
    actor: Actor,
    handler_id: i64,
    request: &DebriefRequest,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let body = checked_text("body", &request.body, 4000)?;
    let client_id = match request.case_id {
        Some(case_id) => {
            // A debrief is about a call of one's own: a case number one never called is
            // refused the same way as one that does not exist, so the field reveals nothing.
            let case = match cases::store::find(conn, case_id) {
                Ok(case) if called(conn, handler_id, &case)? => case,
                Ok(_) | Err(AppError::NotFound) => {
                    return Err(AppError::field(
                        "case_id",
                        "is not a case you have called: check the number, or leave it out",
                    ))
                }
                Err(other) => return Err(other),
            };
            if cases::privacy::erased_at(conn, case_id)?.is_some() {
                return Err(AppError::field(
                    "case_id",
                    "is a customer whose data was erased: leave the case number out",
                ));
            }
            Some(case.client_id)
        }
        None => None,
    };
    let id = portable::get_result(
        diesel::insert_into(debriefs::table)
            .values((
                debriefs::handler_id.eq(handler_id),
                debriefs::case_id.eq(request.case_id),
                debriefs::body.eq(body),
                debriefs::created_at.eq(now),
            ))
            .returning(debriefs::id),
        conn,
    )?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("debrief_written", "debrief", Some(id)).client(client_id),
    )?;
    Ok(id)
}
