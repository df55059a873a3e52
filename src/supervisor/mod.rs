//! The supervisor's pages: team activity, escalations, follow-ups, debriefs, exceptions to
//! review, and the call script editor.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use crate::{
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Supervisor,
    },
    calls::{exceptions, pages::typed, queries, script, script_store, welfare},
    db,
    error::{AppError, AppResult, FieldErrors},
    state::AppState,
    web::{redirect, Page},
};

#[get("/supervisor")]
async fn overview(
    state: web::Data<AppState>,
    sup: Supervisor,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    overview_page(&state, &sup, &csrf, None).await
}

/// The overview; a refused follow-up note comes back in its own form, as typed.
async fn overview_page(
    state: &AppState,
    sup: &Supervisor,
    csrf: &CsrfToken,
    refused: Option<(String, FieldErrors, serde_json::Value)>,
) -> AppResult<HttpResponse> {
    let (now, actor) = (state.clock.now_naive(), sup.actor());
    // "Today" is the team's day: from UK midnight (an hour before UTC's in summer).
    let since = crate::reports::periods::uk_midnight(state.clock.now());
    let data = db::run(&state.pool, move |conn| {
        let data = (
            queries::open_escalations(conn)?,
            queries::open_follow_ups(conn)?,
            queries::recent_debriefs(conn)?,
            exceptions::exceptions(conn, true)?,
            queries::team_activity_since(conn, since)?,
            queries::active_breaks(conn, now)?,
            crate::plans::store::recent_answers(conn, 30)?,
            crate::mail::outbox::troubled(conn)?,
        );
        let (escalations, follow_ups, debriefs, exceptions, _, _, answers, _) = &data;
        let shown = (escalations.iter().map(|e| e.case_id))
            .chain(follow_ups.iter().filter_map(|f| f.case_id))
            .chain(debriefs.iter().filter_map(|d| d.case_id))
            .chain(exceptions.iter().map(|e| e.case_id))
            .chain(answers.iter().map(|a| a.plan.case_id));
        crate::audit::cases_listed(conn, actor, "supervisor overview", shown)?;
        Ok(data)
    })
    .await?;
    let (escalations, follow_ups, debriefs, exceptions, activity, on_break, answers, mail) = data;
    let (errors, typed) = crate::calls::pages::split_refused(refused);
    Page::new("supervisor/overview.html", csrf, Some(&sup.user))
        .with("typed", &typed)
        .with_errors(errors)
        .with("escalations", &escalations)
        .with("follow_ups", &follow_ups)
        .with("debriefs", &debriefs)
        .with("exceptions", &exceptions)
        .with("activity", &activity)
        .with("on_break", &on_break)
        .with("answers", &answers)
        .with("mail", &mail)
        .render(state)
}

#[post("/supervisor/escalations/{id}/resolve")]
async fn resolve(
    state: web::Data<AppState>,
    sup: Supervisor,
    path: web::Path<i64>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (id, user_id, actor, now) = (
        path.into_inner(),
        sup.id,
        sup.actor(),
        state.clock.now_naive(),
    );
    db::run_write(&state.pool, move |conn| {
        if !queries::resolve_escalation(conn, id, user_id, now)? {
            return Ok(());
        }
        crate::audit::record(
            conn,
            actor,
            crate::audit::Entry::new("escalation_resolved", "escalation", Some(id)),
        )
    })
    .await?;
    Ok(redirect("/supervisor"))
}

#[derive(Deserialize, Default)]
pub struct FollowUpForm {
    #[serde(default)]
    note: String,
}

#[post("/supervisor/follow-ups/{id}/complete")]
async fn complete_follow_up(
    state: web::Data<AppState>,
    sup: Supervisor,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<FollowUpForm>,
) -> AppResult<HttpResponse> {
    let (id, user_id, actor, now) = (
        path.into_inner(),
        sup.id,
        sup.actor(),
        state.clock.now_naive(),
    );
    // Which follow-up's form the note came from, so it comes back in that one.
    let typed = typed(
        "follow_up",
        &serde_json::json!({"id": id, "note": form.note}),
    );
    let result = db::run_write(&state.pool, move |conn| {
        welfare::complete_follow_up(conn, actor, user_id, id, &form.note, now)
    })
    .await;
    match result {
        Ok(_) => Ok(redirect("/supervisor")),
        Err(AppError::Validation { message, fields }) => {
            overview_page(&state, &sup, &csrf, Some((message, fields, typed))).await
        }
        Err(other) => Err(other),
    }
}

#[post("/supervisor/exceptions/{id}/review")]
async fn review_exception(
    state: web::Data<AppState>,
    sup: Supervisor,
    path: web::Path<i64>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (id, user_id, actor, now) = (
        path.into_inner(),
        sup.id,
        sup.actor(),
        state.clock.now_naive(),
    );
    db::run_write(&state.pool, move |conn| {
        exceptions::review_exception(conn, actor, user_id, id, now)
    })
    .await?;
    Ok(redirect("/supervisor"))
}

/// What is wrong with a script, in the words the checks used.
fn script_problem(err: &AppError) -> String {
    match err {
        AppError::Validation { fields, .. } => fields
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

async fn scripts_page(
    state: &AppState,
    sup: &Supervisor,
    csrf: &CsrfToken,
    body: Option<String>,
    notice: &str,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let (current, versions) = db::run(&state.pool, |conn| {
        Ok((script_store::current(conn)?, script_store::versions(conn)?))
    })
    .await?;
    let source = body
        .map(crate::payment_guard::shown_back)
        .unwrap_or(current.1);
    let preview = script::render(current.0, &source, &script::ScriptContext::sample());
    let preview_error = preview.as_ref().err().map(script_problem);
    Page::new("supervisor/scripts.html", csrf, Some(&sup.user))
        .with("source", &source)
        .with("current_version", &current.0)
        .with("versions", &versions)
        .with("preview", &preview.ok())
        .with("preview_error", &preview_error)
        .with("notice", notice)
        .with_errors(error.map(|message| (message, FieldErrors::new())))
        .render(state)
}

#[derive(Deserialize)]
pub struct ScriptsQuery {
    /// The version just saved, to say so (the save redirects here).
    saved: Option<i64>,
}

#[get("/supervisor/scripts")]
async fn scripts(
    state: web::Data<AppState>,
    sup: Supervisor,
    csrf: CsrfToken,
    query: web::Query<ScriptsQuery>,
) -> AppResult<HttpResponse> {
    let notice = match query.saved {
        Some(id) => format!("Saved as version {id}. New calls use it from now on."),
        None => String::new(),
    };
    scripts_page(&state, &sup, &csrf, None, &notice, None).await
}

#[derive(Deserialize, Default)]
pub struct ScriptForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    action: String,
}

/// "Preview" shows the draft against the sample case; "Save" makes it the next version.
#[post("/supervisor/scripts")]
async fn save_script(
    state: web::Data<AppState>,
    sup: Supervisor,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ScriptForm>,
) -> AppResult<HttpResponse> {
    if form.action != "save" {
        return scripts_page(
            &state,
            &sup,
            &csrf,
            Some(form.body),
            "Preview updated — not saved yet.",
            None,
        )
        .await;
    }
    let (user_id, actor, now) = (sup.id, sup.actor(), state.clock.now_naive());
    let body = form.body.clone();
    let saved = db::run_write(&state.pool, move |conn| {
        script_store::save(conn, actor, user_id, &body, now)
    })
    .await;
    state.reference.forget_script();
    match saved {
        // A page of its own, so a refresh does not save the script again as another version.
        Ok(id) => Ok(redirect(&format!("/supervisor/scripts?saved={id}"))),
        Err(err @ AppError::Validation { .. }) => {
            let message = script_problem(&err);
            scripts_page(&state, &sup, &csrf, Some(form.body), "", Some(message)).await
        }
        Err(other) => Err(other),
    }
}

/// "Send again" on an e-mail that was given up on.
#[post("/supervisor/mail/{id}/retry")]
async fn retry_mail(
    state: web::Data<AppState>,
    sup: Supervisor,
    path: web::Path<i64>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (id, actor, now) = (path.into_inner(), sup.actor(), state.clock.now_naive());
    db::run_write(&state.pool, move |conn| {
        if !crate::mail::outbox::requeue_failed(conn, id, now)? {
            return Err(AppError::NotFound);
        }
        crate::audit::record(
            conn,
            actor,
            crate::audit::Entry::new("mail_requeued", "outbox", Some(id)),
        )
    })
    .await?;
    Ok(redirect("/supervisor"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(overview)
        .service(resolve)
        .service(retry_mail)
        .service(complete_follow_up)
        .service(review_exception)
        .service(scripts)
        .service(save_script);
}
