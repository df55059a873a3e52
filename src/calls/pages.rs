//! The handler's call screen and its forms (the queue's page is `queue_pages`). They call the
//! same domain functions as the JSON API.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{
    outcome::{BreathingSpaceKind, HoldDetails, OutcomeRequest},
    queries, record, safeguarding, script_store,
};
use crate::{
    audit::{self, Actor},
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Staff,
        session::CurrentUser,
        Role,
    },
    cases::{self, holds, rfc3339, Case},
    db,
    error::{AppError, AppResult, FieldErrors},
    queue,
    state::AppState,
    web::{redirect, Page},
};

/// A refused form's messages, and what was typed (an empty object when nothing was refused, so
/// templates can look up `typed.<form>.<field>` either way).
pub fn split_refused(
    refused: Option<(String, FieldErrors, serde_json::Value)>,
) -> (Option<(String, FieldErrors)>, serde_json::Value) {
    match refused {
        Some((message, fields, typed)) => (Some((message, fields)), typed),
        None => (None, serde_json::json!({})),
    }
}

/// Everything the call screen shows.
#[derive(Serialize)]
struct CallScreen {
    case: Case,
    client_name: String,
    amount_owed: String,
    local_time: String,
    /// When the customer's contact hours close, in their time; `None` once they have closed
    /// (the page then says not to start a call).
    call_before: Option<String>,
    /// The callback the customer asked for, in their time, while one is booked.
    callback_local: Option<String>,
    script: super::script::RenderedScript,
    attempts: Vec<queries::AttemptItem>,
    holds: Vec<holds::HoldRow>,
    vulnerabilities: Vec<queries::VulnerabilityItem>,
    support: Vec<super::script::SupportOrganisation>,
    plans: Vec<crate::plans::store::ListedPlan>,
    mine: bool,
    /// The handler's claim on the case ran out.
    lapsed: bool,
}

fn load_screen(
    conn: &mut db::DbConn,
    reference: &crate::reference::Reference,
    staff_id: i64,
    role: Role,
    handler_name: &str,
    case_id: i64,
    now: NaiveDateTime,
) -> AppResult<CallScreen> {
    let case = cases::store::find(conn, case_id)?;
    // Handlers open the cases they hold; supervisors may open any. A claim that ran out (not
    // yet put back) still shows its handler the case, read only: nothing can be recorded on it.
    let held = case.held_by(staff_id);
    let mine = held && case.on_a_call(now);
    if !held && role != Role::Supervisor {
        return Err(AppError::Forbidden);
    }
    let risk_flagged = crate::support::risk_flagged(conn, case_id)?;
    let context = script_store::context_for(conn, reference, &case, risk_flagged, handler_name)?;
    audit::record(
        conn,
        Actor::User(staff_id),
        audit::Entry::new("case_viewed", "case", Some(case_id)).client(Some(case.client_id)),
    )?;
    let rules = reference.rules_for(conn, &case)?;
    let call_before = rules.hours_close(now.and_utc()).map(|closes| {
        closes
            .with_timezone(&case.tz())
            .format("%H:%M %Z")
            .to_string()
    });
    let callback_local = case.callback_at.map(|at| {
        at.and_utc()
            .with_timezone(&case.tz())
            .format("%A %-d %B, %H:%M (%Z)")
            .to_string()
    });
    Ok(CallScreen {
        call_before,
        callback_local,
        // Their own zone in full, then any other zone they may be in.
        local_time: case
            .zones()
            .iter()
            .enumerate()
            .map(|(i, tz)| {
                let local = now.and_utc().with_timezone(tz);
                if i == 0 {
                    local.format("%A %-d %B, %H:%M (%Z)").to_string()
                } else {
                    format!("{} in {}", local.format("%H:%M %Z"), tz.name())
                }
            })
            .collect::<Vec<_>>()
            .join("; also "),
        client_name: context.client_name.clone(),
        amount_owed: context.amount_owed.clone(),
        support: context.support_organisations.clone(),
        script: reference.script(conn)?.render(&context)?,
        attempts: queries::attempts_for_case(conn, case_id)?,
        holds: holds::for_case(conn, case_id)?,
        vulnerabilities: queries::vulnerabilities_for_case(conn, case_id)?,
        plans: crate::plans::store::for_case(conn, case_id)?,
        case,
        mine,
        lapsed: held && !mine,
    })
}

/// A refused form's fields under the form's name (`typed.<form>.<field>` in the call screen), so
/// the screen shows them again beside the messages: nothing typed is lost. Text holding payment
/// data is the exception: it is left out, never shown back (the message says why).
pub fn typed(form_name: &str, form: &impl serde::Serialize) -> serde_json::Value {
    let mut fields = serde_json::to_value(form).unwrap_or_default();
    if let serde_json::Value::Object(fields) = &mut fields {
        fields.retain(|_, value| {
            value
                .as_str()
                .is_none_or(|text| crate::payment_guard::check(text).is_ok())
        });
    }
    let mut forms = serde_json::Map::new();
    forms.insert(form_name.to_string(), fields);
    serde_json::Value::Object(forms)
}

/// The call screen; `refused` is a form the domain refused: its messages and what was typed
/// (see [`typed`]).
pub async fn call_screen(
    state: &AppState,
    staff: &CurrentUser,
    csrf: &CsrfToken,
    case_id: i64,
    refused: Option<(String, FieldErrors, serde_json::Value)>,
) -> AppResult<HttpResponse> {
    let (errors, typed) = split_refused(refused);
    let (id, role, name, now) = (
        staff.id,
        staff.role,
        staff.display_name.clone(),
        state.clock.now_naive(),
    );
    let reference = state.reference.clone();
    let screen = db::run(&state.pool, move |conn| {
        load_screen(conn, &reference, id, role, &name, case_id, now)
    })
    .await?;
    Page::new("calls/call.html", csrf, Some(staff))
        .with("s", &screen)
        .with("outcomes", &super::outcome::OUTCOME_NAMES)
        .with("drivers", &safeguarding::DRIVERS)
        .with("needs", &crate::support::matching::NEEDS)
        .with("hold_kinds", &cases::hold_requests::KINDS)
        .with("statement", &crate::plans::statement::form_sections())
        .with("typed", &typed)
        .with(
            "renew_every_seconds",
            &state.config.call_renew_every.as_secs(),
        )
        .with_errors(errors)
        .render(state)
}

#[get("/calls/{id}")]
async fn show_call(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    call_screen(&state, &staff, &csrf, path.into_inner(), None).await
}

/// Runs a form's domain call; a validation failure re-renders the call screen with the messages
/// and the form filled in as it was sent (`typed`). A refusal because of the case's state (most
/// often a claim that ran out while the handler typed: a call running over, a laptop asleep)
/// shows what was typed on a page of its own, since the call screen may no longer be theirs to
/// open; anything else is an error page.
pub async fn or_rerender<T>(
    state: &AppState,
    (staff, csrf): (&CurrentUser, &CsrfToken),
    case_id: i64,
    typed: serde_json::Value,
    result: AppResult<T>,
    then: impl FnOnce(T) -> AppResult<HttpResponse>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(value) => then(value),
        Err(AppError::Validation { message, fields }) => {
            call_screen(state, staff, csrf, case_id, Some((message, fields, typed))).await
        }
        Err(AppError::Conflict(message)) => Page::new("calls/not_recorded.html", csrf, Some(staff))
            .with("message", &message)
            .with("case_id", &case_id)
            .with("typed", &typed)
            .status(actix_web::http::StatusCode::CONFLICT)
            .render(state),
        Err(other) => Err(other),
    }
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct OutcomeForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    callback_at: String,
    #[serde(default)]
    pause_days: String,
    #[serde(default)]
    breathing_space_kind: String,
    #[serde(default)]
    breathing_space_start: String,
    #[serde(default)]
    script_version_id: String,
}

impl OutcomeForm {
    /// The form as the API's request. A start date that cannot be read is named here: passed on
    /// as missing, the Breathing Space would silently start today.
    fn into_request(self) -> AppResult<OutcomeRequest> {
        let blank = |s: String| Some(s).filter(|v| !v.trim().is_empty());
        let starts_on = match blank(self.breathing_space_start) {
            None => None,
            Some(typed) => Some(crate::domain::calendar::parse_date(&typed).ok_or_else(|| {
                AppError::field("hold.starts_on", crate::domain::calendar::DATE_EXPECTED)
            })?),
        };
        let kind = match self.breathing_space_kind.as_str() {
            "standard" => Some(BreathingSpaceKind::Standard),
            "mental_health_crisis" => Some(BreathingSpaceKind::MentalHealthCrisis),
            _ => None,
        };
        Ok(OutcomeRequest {
            outcome: self.outcome,
            notes: blank(self.notes),
            callback_at: blank(self.callback_at),
            pause_days: self.pause_days.trim().parse().ok(),
            hold: Some(HoldDetails { kind, starts_on }),
            script_version_id: self.script_version_id.parse().ok(),
        })
    }
}

#[post("/calls/{id}/outcome")]
async fn post_outcome(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<OutcomeForm>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now());
    let typed = typed("outcome", &form);
    let result = match form.into_request() {
        Ok(request) => {
            db::run_write(&state.pool, move |conn| {
                match record::record_request(conn, actor, user_id, case_id, &request, now) {
                    // Sent twice: the first copy recorded it and ended the claim. Not an error
                    // to show.
                    Err(AppError::Conflict(_))
                        if record::is_repeat(conn, case_id, user_id, &request, now)? =>
                    {
                        Ok(())
                    }
                    other => other.map(|_| ()),
                }
            })
            .await
        }
        Err(unreadable) => Err(unreadable),
    };
    or_rerender(&state, (&staff, &csrf), case_id, typed, result, |_| {
        Ok(redirect("/queue?notice=recorded"))
    })
    .await
}

/// Keeps the claim on the call shown. The form's button reloads the page; the page's own script
/// asks for JSON (`Accept: application/json`) while it is open, and is told when the claim now
/// runs out (or, as JSON too, why it could not be kept).
#[post("/calls/{id}/renew")]
async fn renew(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    request: actix_web::HttpRequest,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (user_id, now) = (staff.id, state.clock.now());
    let reference = state.reference.clone();
    let until = db::run(&state.pool, move |conn| {
        queue::renew_call(conn, &reference, user_id, case_id, now, queue::lease())
    })
    .await?;
    if crate::web::wants_json(&request) {
        return Ok(HttpResponse::Ok().json(super::api::RenewedClaim {
            lease_expires_at: rfc3339(until),
        }));
    }
    Ok(redirect(&format!("/calls/{case_id}")))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(super::queue_pages::configure)
        .service(show_call)
        .service(post_outcome)
        .service(renew)
        .configure(super::care_pages::configure)
        .configure(super::emergency_pages::configure);
}
