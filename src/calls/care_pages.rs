//! The call screen's safeguarding and welfare forms: vulnerability, risk to life, exceptions and
//! debriefs. Validation failures re-render the call screen with the messages.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{
    exceptions,
    pages::{or_rerender, typed},
    safeguarding, welfare,
};
use crate::{
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::{Staff, Supervisor},
    },
    cases::{self, hold_requests},
    db,
    error::{AppError, AppResult},
    state::AppState,
    web::{redirect, Page},
};

#[derive(Deserialize, serde::Serialize, Default)]
pub struct VulnerabilityForm {
    #[serde(default)]
    health: String,
    #[serde(default)]
    life_events: String,
    #[serde(default)]
    resilience: String,
    #[serde(default)]
    capability: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    consent_how: String,
    #[serde(default)]
    consented_by: String,
    #[serde(default)]
    note: String,
}

/// The customer withdrew consent to a vulnerability record (see
/// [`safeguarding::withdraw_consent`]).
#[post("/calls/{id}/vulnerability/{record_id}/withdraw")]
async fn withdraw_vulnerability(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i64, i64)>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let ids = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    db::run_write(&state.pool, move |conn| {
        safeguarding::withdraw_consent(conn, actor, user_id, ids, now)
    })
    .await?;
    Ok(redirect(&format!("/calls/{}", ids.0)))
}

#[post("/calls/{id}/vulnerability")]
async fn post_vulnerability(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<VulnerabilityForm>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let typed = typed("vulnerability", &form);
    let drivers = [
        ("health", &form.health),
        ("life_events", &form.life_events),
        ("resilience", &form.resilience),
        ("capability", &form.capability),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(d, _)| d.to_string())
    .collect();
    let request = safeguarding::VulnerabilityRequest {
        drivers,
        consent: form.consent == "yes",
        consent_how: Some(form.consent_how),
        consented_by: Some(form.consented_by),
        note: Some(form.note).filter(|n| !n.trim().is_empty()),
    };
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    let result = db::run_write(&state.pool, move |conn| {
        safeguarding::record_vulnerability(conn, actor, user_id, case_id, &request, now)
    })
    .await;
    or_rerender(&state, (&staff, &csrf), case_id, typed, result, |_| {
        Ok(redirect(&format!("/calls/{case_id}")))
    })
    .await
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

#[post("/calls/{id}/risk-to-life")]
async fn post_risk_to_life(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    let typed = typed("risk", &form);
    let note = Some(form.note).filter(|n| !n.trim().is_empty());
    let result = db::run_write(&state.pool, move |conn| {
        safeguarding::raise_risk_to_life(conn, actor, user_id, case_id, note.as_deref(), now)
    })
    .await;
    // The numbers are a page of their own, so refreshing it does not raise the alarm again.
    or_rerender(&state, (&staff, &csrf), case_id, typed, result, |_| {
        Ok(redirect(&format!("/calls/{case_id}/emergency")))
    })
    .await
}

/// The emergency numbers for where the customer is, after a risk to life was raised.
#[get("/calls/{id}/emergency")]
async fn emergency_numbers(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (staff_id, actor) = (staff.id, staff.actor());
    let supervisor = staff.role == crate::auth::roles::Role::Supervisor;
    let numbers = db::run(&state.pool, move |conn| {
        safeguarding::emergency_numbers_for_case(conn, actor, staff_id, supervisor, case_id)
    })
    .await?;
    Page::new("calls/emergency.html", &csrf, Some(&staff.user))
        .with("contacts", &numbers.contacts)
        .with("in_uk", &numbers.in_uk)
        .with("region", &numbers.region)
        .with("case_id", &case_id)
        .render(&state)
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct ExceptionForm {
    #[serde(default)]
    arrangement: String,
    #[serde(default)]
    reason: String,
}

#[post("/calls/{id}/exceptions")]
async fn post_exception(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ExceptionForm>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    let typed = typed("exception", &form);
    let request = exceptions::ExceptionRequest {
        arrangement: form.arrangement,
        reason: form.reason,
    };
    let result = db::run_write(&state.pool, move |conn| {
        exceptions::propose_exception(conn, actor, user_id, case_id, &request, now)
    })
    .await;
    or_rerender(&state, (&staff, &csrf), case_id, typed, result, |_| {
        Ok(redirect(&format!("/calls/{case_id}")))
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
}

#[post("/exceptions/{id}/decision")]
async fn post_decision(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    db::run_write(&state.pool, move |conn| {
        exceptions::decide_exception(conn, actor, user_id, id, &form.decision, now)
    })
    .await?;
    Ok(redirect("/queue"))
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct DebriefForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    case_id: String,
}

#[post("/debriefs")]
async fn post_debrief(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<DebriefForm>,
) -> AppResult<HttpResponse> {
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    let typed = typed("debrief", &form);
    let result = match form.case_id.trim() {
        "" => Ok(None),
        written => written
            .parse()
            .map(Some)
            .map_err(|_| AppError::field("case_id", "must be a case number, such as 1042")),
    };
    let result = match result {
        Ok(case_id) => {
            let request = welfare::DebriefRequest {
                case_id,
                body: form.body,
            };
            db::run_write(&state.pool, move |conn| {
                welfare::write_debrief(conn, actor, user_id, &request, now)
            })
            .await
        }
        Err(refused) => Err(refused),
    };
    match result {
        Ok(_) => Ok(redirect("/queue?notice=debrief")),
        Err(AppError::Validation { message, fields }) => {
            let refused = Some((message, fields, typed));
            super::queue_pages::queue_screen(&state, &staff, &csrf, "", refused).await
        }
        Err(other) => Err(other),
    }
}

/// A supervisor lifts a hold (a dispute resolved, a crisis Breathing Space's treatment ended,
/// which leaves 30 more days of protection); the case is scheduled again under the rules at once.
#[post("/calls/{id}/holds/{hold_id}/lift")]
async fn lift_hold(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let ((case_id, hold_id), actor, now) =
        (path.into_inner(), supervisor.actor(), state.clock.now());
    db::run_write(&state.pool, move |conn| {
        let case = cases::store::find(conn, case_id)?;
        let supervisor = hold_requests::Lifter::Supervisor;
        hold_requests::lift(conn, actor, supervisor, &case, hold_id, now).map(|_| ())
    })
    .await?;
    Ok(redirect(&format!("/calls/{case_id}")))
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct HoldForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    note: String,
}

/// A supervisor places a hold they have learnt of outside a call (a Breathing Space notice, a
/// dispute, a death, a request not to be contacted); calls stop at once.
#[post("/calls/{id}/holds")]
async fn place_hold(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<HoldForm>,
) -> AppResult<HttpResponse> {
    let (case_id, actor, user_id, now) = (
        path.into_inner(),
        supervisor.actor(),
        supervisor.id,
        state.clock.now(),
    );
    let typed = typed("hold", &form);
    let request = hold_requests::HoldRequest {
        kind: form.kind,
        // The form's date is a day in UTC; the API takes a full time.
        starts_at: Some(form.starts_at.trim())
            .filter(|d| !d.is_empty())
            .map(|d| format!("{d}T00:00:00Z")),
        note: Some(form.note),
    };
    let result = db::run_write(&state.pool, move |conn| {
        let case = cases::store::find(conn, case_id)?;
        hold_requests::place(conn, actor, &case, &request, Some(user_id), now)
    })
    .await;
    or_rerender(&state, (&supervisor, &csrf), case_id, typed, result, |_| {
        Ok(redirect(&format!("/calls/{case_id}")))
    })
    .await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(place_hold)
        .service(post_vulnerability)
        .service(withdraw_vulnerability)
        .service(post_risk_to_life)
        .service(emergency_numbers)
        .service(post_exception)
        .service(post_decision)
        .service(post_debrief)
        .service(lift_hold);
}
