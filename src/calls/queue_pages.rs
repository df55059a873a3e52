//! The handler's queue page, and taking the next call from it.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{exceptions, pages::split_refused, queries};
use crate::{
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Staff,
        session::CurrentUser,
    },
    cases, db,
    error::{AppResult, FieldErrors},
    queue::{self, breaks, Claim},
    state::AppState,
    web::{redirect, Page},
};

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    notice: String,
}

#[get("/queue")]
async fn queue_page(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let notice = match query.notice.as_str() {
        "empty" => "Nothing is due right now. Well done — check back shortly.",
        "recorded" => "Outcome recorded.",
        "debrief" => "Thank you — your debrief is saved and a supervisor can see it.",
        _ => "",
    };
    queue_screen(&state, &staff, &csrf, notice, None).await
}

/// The handler's queue page; `refused` is a debrief the domain refused, as for [`super::pages::call_screen`].
pub async fn queue_screen(
    state: &AppState,
    staff: &CurrentUser,
    csrf: &CsrfToken,
    notice: &str,
    refused: Option<(String, FieldErrors, serde_json::Value)>,
) -> AppResult<HttpResponse> {
    let (errors, typed) = split_refused(refused);
    let (user_id, now, actor) = (staff.id, state.clock.now_naive(), staff.actor());
    // "Today" is the team's day, as on the supervisor's page: from UK midnight.
    let since = crate::reports::periods::uk_midnight(state.clock.now());
    let (claim, today, on_break, pending) = db::run(&state.pool, move |conn| {
        let claim = match queue::store::current_claim(conn, user_id, now)? {
            Some(id) => Some(cases::store::find(conn, id)?),
            None => None,
        };
        let pending = exceptions::exceptions(conn, false)?;
        crate::audit::cases_listed(
            conn,
            actor,
            "exceptions awaiting a second person",
            pending.iter().map(|e| e.case_id),
        )?;
        Ok((
            claim,
            queries::attempts_by_handler_since(conn, user_id, since)?,
            breaks::active_until(conn, user_id, now)?,
            pending,
        ))
    })
    .await?;
    Page::new("calls/queue.html", csrf, Some(staff))
        .with("claim", &claim)
        .with("today", &today)
        .with("break_until", &on_break)
        .with("pending_exceptions", &pending)
        .with("notice", notice)
        .with("typed", &typed)
        .with_errors(errors)
        .render(state)
}

#[post("/queue/next")]
async fn take_next(
    state: web::Data<AppState>,
    staff: Staff,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now());
    let promote = state.promotion.due(now);
    let reference = state.reference.clone();
    let claim = db::run(&state.pool, move |conn| {
        queue::claim_next(
            conn,
            &reference,
            actor,
            user_id,
            now,
            queue::lease(),
            promote,
        )
    })
    .await?;
    Ok(match claim {
        Claim::Claimed(held) => redirect(&format!("/calls/{}", held.case.id)),
        Claim::NothingDue => redirect("/queue?notice=empty"),
        Claim::OnBreak { .. } => redirect("/queue"),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(queue_page).service(take_next);
}
