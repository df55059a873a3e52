//! The report over the API, for a client's own figures (client API key).

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    periods::{self, Grouping},
    query::Scope,
    Report,
};
use crate::{
    auth::api::ApiClient,
    db,
    error::{ApiErrorBody, AppError, AppResult},
    state::AppState,
};

#[derive(Debug, Default, Deserialize, serde::Serialize, IntoParams)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD`, included.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: Option<String>,
    /// `week`, `month` (default) or `cohort`.
    pub group_by: Option<String>,
}

impl ReportQuery {
    /// Checks the query; `default_days` back from `today` when no range was asked for.
    pub fn parse(
        &self,
        today: NaiveDate,
        default_days: i64,
    ) -> AppResult<(NaiveDate, NaiveDate, Grouping)> {
        let date = |raw: &Option<String>, fallback: NaiveDate| match raw
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => Ok(Some(fallback)),
            Some(r) => NaiveDate::parse_from_str(r, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ()),
        };
        let mut errors = crate::error::FieldErrors::new();
        let from = date(&self.from, today - chrono::Duration::days(default_days))
            .map_err(|_| errors.insert("from".into(), vec!["must be a date, YYYY-MM-DD".into()]))
            .ok()
            .flatten();
        let to = date(&self.to, today)
            .map_err(|_| errors.insert("to".into(), vec!["must be a date, YYYY-MM-DD".into()]))
            .ok()
            .flatten();
        let group_by = match self.group_by.as_deref() {
            None | Some("") => Some(Grouping::Month),
            Some(raw) => Grouping::parse(raw),
        };
        if group_by.is_none() {
            errors.insert(
                "group_by".into(),
                vec!["must be week, month or cohort".into()],
            );
        }
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        let (from, to) = periods::check_range(from, to).map_err(AppError::fields)?;
        Ok((from, to, group_by.unwrap_or(Grouping::Month)))
    }
}

/// Re-engagement figures for the calling client: totals and per week, month or referral cohort.
#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 401, description = "Missing or unknown API key", body = ApiErrorBody),
        (status = 403, description = "Not a client API key", body = ApiErrorBody),
        (status = 422, description = "Bad dates or grouping", body = ApiErrorBody),
    )
)]
#[get("/api/v1/reports/re-engagement")]
pub async fn re_engagement(
    state: web::Data<AppState>,
    client: ApiClient,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let (from, to, group_by) = query.parse(super::periods::uk_today(state.clock.now()), 90)?;
    let client_id = client.client_id;
    let report = db::run(&state.pool, move |conn| {
        super::build(conn, Scope::Client(client_id), from, to, group_by)
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(re_engagement);
}
