//! Report pages: the client portal (own organisation only) and the supervisor's view across
//! clients and handlers, with CSV and JSON exports.

use actix_web::{get, http::header, post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use super::{
    api::ReportQuery,
    chart,
    periods::{self, Grouping, REPORT_ZONE},
    query::{self, Scope},
    Report,
};
use crate::{
    accounts, audit,
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::{ClientUser, Supervisor},
    },
    db::{self, schema::clients},
    domain::Email,
    error::{AppError, AppResult, FieldErrors},
    state::AppState,
    web::{redirect, Page},
};

async fn load(state: &AppState, scope: Scope, query: &ReportQuery) -> AppResult<(Report, Report)> {
    let (from, to, group_by) = query.parse(super::periods::uk_today(state.clock.now()), 90)?;
    db::run(&state.pool, move |conn| {
        let report = super::build(conn, scope, from, to, group_by)?;
        let cohorts = super::build(conn, scope, from, to, Grouping::Cohort)?;
        Ok((report, cohorts))
    })
    .await
}

/// A report page's figures: those the filter asks for or, when it has mistakes, the default
/// range's, beside the mistakes (the filter then shows what was typed: `filter`).
struct Shown {
    report: Report,
    cohorts: Report,
    refused: Option<(String, FieldErrors)>,
}

async fn load_for_page(state: &AppState, scope: Scope, query: &ReportQuery) -> AppResult<Shown> {
    match load(state, scope, query).await {
        Ok((report, cohorts)) => Ok(Shown {
            report,
            cohorts,
            refused: None,
        }),
        Err(AppError::Validation { message, fields }) => {
            let (report, cohorts) = load(state, scope, &ReportQuery::default()).await?;
            Ok(Shown {
                report,
                cohorts,
                refused: Some((message, fields)),
            })
        }
        Err(other) => Err(other),
    }
}

/// Two refusals on one page (the filter's, a form's) as one list of mistakes.
fn both(
    first: Option<(String, FieldErrors)>,
    second: Option<(String, FieldErrors)>,
) -> Option<(String, FieldErrors)> {
    match (first, second) {
        (Some((message, mut fields)), Some((_, more))) => {
            fields.extend(more);
            Some((message, fields))
        }
        (one, other) => one.or(other),
    }
}

fn chart_of(report: &Report) -> String {
    let points: Vec<(String, Option<f64>)> = report
        .periods
        .iter()
        .map(|p| (p.label.clone(), p.measures.re_engagement_rate))
        .collect();
    chart::rate_chart(&points)
}

#[get("/portal/reports")]
async fn portal(
    state: web::Data<AppState>,
    user: ClientUser,
    csrf: CsrfToken,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    portal_page(&state, &user, &csrf, &query, None).await
}

/// The client's report page; `refused` is a schedule form the checks refused, shown again as
/// it was sent beside its messages.
async fn portal_page(
    state: &AppState,
    user: &ClientUser,
    csrf: &CsrfToken,
    query: &ReportQuery,
    refused: Option<(String, FieldErrors, ScheduleForm)>,
) -> AppResult<HttpResponse> {
    let client_id = user.client()?;
    let shown = load_for_page(state, Scope::Client(client_id), query).await?;
    let client = db::run(&state.pool, move |conn| {
        accounts::store::client(conn, client_id)
    })
    .await?;
    let (frequency, report_email) = db::run(&state.pool, move |conn| {
        Ok(clients::table
            .find(client_id)
            .select((clients::report_frequency, clients::report_email))
            .first::<(Option<String>, Option<String>)>(conn)?)
    })
    .await?;
    let (errors, frequency, report_email) = match refused {
        Some((message, fields, typed)) => (
            Some((message, fields)),
            Some(typed.frequency).filter(|f| f != "none"),
            Some(typed.email),
        ),
        None => (None, frequency, report_email),
    };
    Page::new("reports/report.html", csrf, Some(&user.user))
        .with("title", &format!("Re-engagement: {}", client.name))
        .with("filter", &shown.refused.as_ref().map(|_| query))
        .with("report", &shown.report)
        .with("cohorts", &shown.cohorts)
        .with("chart", &chart_of(&shown.report))
        .with("export_base", "/portal/reports/export")
        .with("frequency", &frequency)
        .with("report_email", &report_email)
        .with_errors(both(shown.refused, errors))
        .render(state)
}

#[get("/portal/reports/export.{format}")]
async fn export(
    state: web::Data<AppState>,
    user: ClientUser,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let client_id = user.client()?;
    let (report, _) = load(&state, Scope::Client(client_id), &query).await?;
    let filename = format!("re-engagement-{}-{}", report.from, report.to);
    match path.as_str() {
        "csv" => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}.csv\""),
            ))
            .body(super::to_csv(&report))),
        "json" => Ok(HttpResponse::Ok()
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}.json\""),
            ))
            .json(report)),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Deserialize, Default)]
pub struct ScheduleForm {
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    email: String,
}

impl ScheduleForm {
    /// How often, and to whom (both `None` for never).
    fn checked(&self) -> AppResult<(Option<String>, Option<String>)> {
        let frequency = match self.frequency.as_str() {
            "weekly" | "monthly" => Some(self.frequency.clone()),
            "" | "none" => None,
            _ => {
                return Err(AppError::field(
                    "frequency",
                    "must be weekly, monthly or none",
                ))
            }
        };
        let email = match (&frequency, self.email.trim()) {
            (None, _) => None,
            (Some(_), raw) => Some(
                Email::parse(raw)
                    .map_err(|m| AppError::field("email", m))?
                    .to_string(),
            ),
        };
        Ok((frequency, email))
    }
}

#[post("/portal/reports/schedule")]
async fn schedule(
    state: web::Data<AppState>,
    user: ClientUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ScheduleForm>,
) -> AppResult<HttpResponse> {
    let client_id = user.client()?;
    let (frequency, email) = match form.checked() {
        Ok(checked) => checked,
        Err(AppError::Validation { message, fields }) => {
            let refused = Some((message, fields, form));
            return portal_page(&state, &user, &csrf, &ReportQuery::default(), refused).await;
        }
        Err(other) => return Err(other),
    };
    let actor = user.actor();
    db::run_write(&state.pool, move |conn| {
        diesel::update(clients::table.find(client_id))
            .set((
                clients::report_frequency.eq(&frequency),
                clients::report_email.eq(&email),
            ))
            .execute(conn)?;
        if frequency.is_none() {
            // Switched off, the periods until it is switched on again are not owed: that starts
            // afresh with the last complete period, as a new schedule does.
            diesel::update(clients::table.find(client_id))
                .set(clients::last_report_period.eq(None::<String>))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("report_schedule_set", client_id)
                .detail(frequency.clone().unwrap_or_else(|| "none".into())),
        )
    })
    .await?;
    Ok(redirect("/portal/reports"))
}

#[derive(Deserialize)]
pub struct SupervisorQuery {
    client_id: Option<String>,
    #[serde(flatten)]
    report: ReportQuery,
}

#[get("/supervisor/reports")]
async fn supervisor(
    state: web::Data<AppState>,
    user: Supervisor,
    csrf: CsrfToken,
    query: web::Query<SupervisorQuery>,
) -> AppResult<HttpResponse> {
    // A client that cannot be read is a mistake shown with the others, over all clients.
    let (scope, unknown_client) = match query
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::parse)
    {
        Some(Ok(id)) => (Scope::Client(id), None),
        Some(Err(_)) => {
            let mut fields = FieldErrors::new();
            fields.insert(
                "client_id".into(),
                vec!["choose a client from the list".into()],
            );
            let message = "Please correct the report's filter.".to_string();
            (Scope::AllClients, Some((message, fields)))
        }
        None => (Scope::AllClients, None),
    };
    let shown = load_for_page(&state, scope, &query.report).await?;
    let dates_refused = shown.refused.is_some();
    let refused = both(shown.refused, unknown_client);
    let report = shown.report;
    let whole = periods::whole(report.from, report.to, REPORT_ZONE);
    let (handlers, clients_list) = db::run(&state.pool, move |conn| {
        Ok((
            query::by_handler(conn, scope, &whole)?,
            accounts::store::list_clients(conn)?,
        ))
    })
    .await?;
    let selected = match scope {
        Scope::Client(id) => Some(id),
        Scope::AllClients => None,
    };
    Page::new("reports/report.html", &csrf, Some(&user.user))
        .with("title", "Re-engagement across clients")
        .with("filter", &dates_refused.then_some(&query.report))
        .with("report", &report)
        .with("cohorts", &shown.cohorts)
        .with("chart", &chart_of(&report))
        .with("handlers", &handlers)
        .with("clients", &clients_list)
        .with("selected_client", &selected)
        .with_errors(refused)
        .render(&state)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(portal)
        .service(export)
        .service(schedule)
        .service(supervisor);
}
