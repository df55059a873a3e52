//! The customer's pages (reached from the e-mailed link, no login) and the plan form on the call
//! screen.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{
    customer::{self, Answer},
    links::{self, LinkState},
    store,
    terms::{IncomeExpenditure, PlanRequest},
};
use crate::{
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Staff,
    },
    calls, db,
    domain::Currency,
    error::{AppError, AppResult},
    state::AppState,
    web::Page,
};

/// Customers' links are long random tokens: a network sending many that match nothing is
/// guessing, and is refused before any look-up once over the limit. Each request is counted
/// before its look-up (requests sent all at once cannot slip past the limit) and forgiven once
/// its link turns out to work ([`link_worked`]): customers behind one address (a mobile
/// carrier's, an office's) share its count, and their own working links must never use it up.
pub(super) fn limited(state: &AppState, req: &HttpRequest) -> AppResult<()> {
    match state.link_limiter.allow(network(state, req)) {
        true => Ok(()),
        false => Err(AppError::TooManyRequests),
    }
}

/// For a page that looks nothing up (so tells a guesser nothing): refused only while the
/// network is over the limit, and not counted.
pub(super) fn over_limit(state: &AppState, req: &HttpRequest) -> AppResult<()> {
    match state.link_limiter.exceeded(network(state, req)) {
        true => Err(AppError::TooManyRequests),
        false => Ok(()),
    }
}

/// Takes back the count of a request whose link matched (see [`limited`]).
pub(super) fn link_worked(state: &AppState, req: &HttpRequest) {
    state.link_limiter.forgive(network(state, req));
}

/// The network the link limit counts the request against.
fn network(state: &AppState, req: &HttpRequest) -> std::net::IpAddr {
    crate::rate_limit::request_network(req, &state.config.trusted_proxies)
}

/// A page for links that do not work: no customer data, and a way to get in touch.
pub(super) fn link_problem(
    state: &AppState,
    csrf: &CsrfToken,
    expired: bool,
) -> AppResult<HttpResponse> {
    let mut response = Page::new("customer/link_problem.html", csrf, None)
        .with("expired", &expired)
        .render(state)?;
    *response.status_mut() = if expired {
        actix_web::http::StatusCode::GONE
    } else {
        actix_web::http::StatusCode::NOT_FOUND
    };
    Ok(response)
}

enum Link {
    Valid(
        Box<store::Plan>,
        serde_json::Value,
        Vec<crate::support::ShownOrganisation>,
    ),
    Expired,
    Unknown,
    /// Its customer is known to have died: nothing of them is shown.
    Closed,
}

async fn load(state: &AppState, token: String) -> AppResult<Link> {
    let now = state.clock.now_naive();
    let base_url = state.config.base_url.clone();
    let reference = state.reference.clone();
    db::run(&state.pool, move |conn| {
        match links::resolve(conn, &token, now)? {
            LinkState::Valid { plan_id } => {
                let plan = store::find(conn, plan_id)?;
                if crate::cases::holds::known_to_have_died(conn, plan.case_id)? {
                    return Ok(Link::Closed);
                }
                let case = crate::cases::store::find(conn, plan.case_id)?;
                crate::audit::record(
                    conn,
                    crate::audit::Actor::Customer,
                    crate::audit::Entry::new("plan_viewed", "case", Some(case.id))
                        .client(Some(case.client_id)),
                )?;
                let client = crate::accounts::store::client_contact(conn, case.client_id)?;
                let details =
                    serde_json::json!({"first_name": case.first_name(), "client": client});
                let directory = reference.directory(conn)?;
                let support =
                    crate::support::for_customer(conn, &directory, &case, "page", &base_url, now)?;
                Ok(Link::Valid(Box::new(plan), details, support))
            }
            LinkState::Expired => Ok(Link::Expired),
            LinkState::Unknown => Ok(Link::Unknown),
        }
    })
    .await
}

#[get("/p/{token}")]
async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    limited(&state, &req)?;
    let token = path.into_inner();
    let link = load(&state, token.clone()).await?;
    if !matches!(link, Link::Unknown) {
        link_worked(&state, &req);
    }
    match link {
        Link::Valid(plan, details, support) => Page::new("customer/plan.html", &csrf, None)
            .with("token", &token)
            .with("plan", &plan)
            .with("plan_in_words", &plan.in_words())
            .with("details", &details)
            .with("support", &support)
            .render(&state),
        Link::Expired => link_problem(&state, &csrf, true),
        Link::Unknown => link_problem(&state, &csrf, false),
        Link::Closed => Page::new("customer/no_longer_current.html", &csrf, None).render(&state),
    }
}

async fn answer(
    state: &AppState,
    req: &HttpRequest,
    csrf: &CsrfToken,
    token: String,
    change_message: Option<String>,
) -> AppResult<HttpResponse> {
    limited(state, req)?;
    let now = state.clock.now_naive();
    let (link, message) = (token.clone(), change_message.clone());
    let outcome = db::run_write(&state.pool, move |conn| {
        match links::resolve(conn, &link, now)? {
            LinkState::Valid { plan_id } => match &message {
                None => customer::confirm(conn, plan_id, now).map(Some),
                Some(message) => {
                    customer::request_change(conn, plan_id, Some(message), now).map(Some)
                }
            },
            LinkState::Expired => Ok(None),
            LinkState::Unknown => Err(AppError::NotFound),
        }
    })
    .await;
    if !matches!(outcome, Err(AppError::NotFound)) {
        link_worked(state, req);
    }
    let template = match outcome {
        Ok(Some(Answer::Confirmed)) => "customer/confirmed.html",
        Ok(Some(Answer::AlreadyConfirmed)) => "customer/already_confirmed.html",
        Ok(Some(Answer::ChangeRequested)) => "customer/change_requested.html",
        Ok(Some(Answer::NoLongerCurrent)) => "customer/no_longer_current.html",
        Ok(None) => return link_problem(state, csrf, true),
        Err(AppError::NotFound) => return link_problem(state, csrf, false),
        Err(AppError::Validation { fields, .. }) if change_message.is_some() => {
            return change_refused(state, csrf, token, change_message, fields).await;
        }
        Err(other) => return Err(other),
    };
    Page::new(template, csrf, None).render(state)
}

/// The plan page again, saying what is wrong with the customer's message: what they wrote is
/// kept for them to correct, unless it carries payment details, which are never shown back.
async fn change_refused(
    state: &AppState,
    csrf: &CsrfToken,
    token: String,
    message: Option<String>,
    fields: crate::error::FieldErrors,
) -> AppResult<HttpResponse> {
    let Link::Valid(plan, details, support) = load(state, token.clone()).await? else {
        return link_problem(state, csrf, false);
    };
    let message = message.filter(|m| crate::payment_guard::check(m).is_ok());
    Page::new("customer/plan.html", csrf, None)
        .with_errors(Some(("Your message needs changing.".into(), fields)))
        .with("token", &token)
        .with("plan", &plan)
        .with("plan_in_words", &plan.in_words())
        .with("details", &details)
        .with("support", &support)
        .with("message", &message)
        .render(state)
}

#[post("/p/{token}/confirm")]
async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    path: web::Path<String>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    answer(&state, &req, &csrf, path.into_inner(), None).await
}

#[derive(Deserialize, Default)]
pub struct ChangeForm {
    #[serde(default)]
    message: String,
}

#[post("/p/{token}/change")]
async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> AppResult<HttpResponse> {
    answer(&state, &req, &csrf, path.into_inner(), Some(form.message)).await
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct PlanForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    first_payment_on: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    affordability_note: String,
    /// The income and spending lines, as `sfs_<line>` fields (see `statement::form_lines`).
    #[serde(flatten)]
    other: std::collections::HashMap<String, String>,
}

/// Form fields for the statement's lines carry this prefix.
const LINE_FIELD: &str = "sfs_";

impl PlanForm {
    /// The form as the API's request, its amounts read in the case's currency as people write
    /// them ("12.50"). An amount that cannot be read is named here rather than passed on as
    /// missing (which would say "is required" of something the handler did type).
    fn into_request(self, currency: &str) -> AppResult<PlanRequest> {
        let money =
            Currency::parse(currency).map_err(|m| AppError::Internal(anyhow::anyhow!(m)))?;
        let mut unreadable = crate::error::FieldErrors::new();
        let mut read = |field: String, written: &str| -> Option<i64> {
            if written.trim().is_empty() {
                return None;
            }
            money
                .parse_amount(written)
                .map_err(|message| unreadable.insert(field, vec![message]))
                .ok()
        };
        let amount_minor = read("amount_minor".into(), &self.amount);
        let lines: std::collections::BTreeMap<String, i64> = self
            .other
            .iter()
            .filter_map(|(field, value)| Some((field.strip_prefix(LINE_FIELD)?, value)))
            .filter_map(|(line, value)| {
                let amount = read(format!("income_expenditure.{line}"), value)?;
                Some((line.to_string(), amount))
            })
            .collect();
        // Named here, not passed on as missing ("is required" of a date the handler did type).
        let first_payment_on = match self.first_payment_on.trim() {
            "" => None,
            typed => crate::domain::calendar::parse_date(typed).or_else(|| {
                let expected = crate::domain::calendar::DATE_EXPECTED.to_string();
                unreadable.insert("first_payment_on".into(), vec![expected]);
                None
            }),
        };
        if !unreadable.is_empty() {
            return Err(AppError::fields(unreadable));
        }
        Ok(PlanRequest {
            amount_minor,
            currency: currency.to_string(),
            frequency: self.frequency,
            first_payment_on,
            email: self.email,
            income_expenditure: (!lines.is_empty()).then_some(IncomeExpenditure { lines }),
            affordability_note: Some(self.affordability_note),
        })
    }
}

/// The customer who had stopped e-mails asks on the call for them again: their plan goes now.
#[post("/calls/{id}/plans/{plan_id}/resume-emails")]
async fn resume_emails(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<(i64, i64)>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let ids = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now());
    let st = state.clone();
    let plan = db::run_write(&state.pool, move |conn| {
        let link = super::links::LinkSettings::of(&st.config);
        super::resume_emails(conn, actor, user_id, ids, now, link)
    })
    .await?;
    Page::new("calls/plan_recorded.html", &csrf, Some(&staff.user))
        .with("plan", &plan)
        .with("repeat", &false)
        .render(&state)
}

#[post("/calls/{id}/plans")]
async fn propose_from_call(
    state: web::Data<AppState>,
    staff: Staff,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now());
    let st = state.clone();
    let typed = calls::pages::typed("plan", &form);
    let result = db::run_write(&state.pool, move |conn| {
        let case = crate::cases::store::find(conn, case_id)?;
        let request = form.into_request(&case.currency)?;
        super::propose(
            conn,
            actor,
            user_id,
            case_id,
            request,
            now,
            super::links::LinkSettings::of(&st.config),
        )
    })
    .await;
    calls::pages::or_rerender(
        &state,
        (&staff, &csrf),
        case_id,
        typed,
        result,
        |(plan, new)| {
            Page::new("calls/plan_recorded.html", &csrf, Some(&staff.user))
                .with("plan", &plan)
                .with("repeat", &!new)
                .render(&state)
        },
    )
    .await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(confirm)
        .service(change)
        .service(resume_emails)
        .service(propose_from_call);
}
