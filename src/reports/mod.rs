//! Re-engagement reports: the measures by period, cohort and handler, for clients (portal, CSV,
//! JSON, API, scheduled e-mail) and supervisors.

pub mod api;
pub mod chart;
pub mod measures;
mod median;
pub mod pages;
pub mod periods;
pub mod query;
pub mod scheduled;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use diesel::Connection;

use crate::{cases::rfc3339, db::DbConn, error::AppResult};
use measures::Measures;
use periods::{Grouping, REPORT_ZONE};
use query::Scope;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeriodFigures {
    pub label: String,
    /// UTC, RFC 3339, inclusive.
    pub start: String,
    /// UTC, RFC 3339, exclusive.
    pub end: String,
    pub measures: Measures,
}

/// A report: totals over the range and the figures per period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Grouping,
    /// Periods begin at midnight in this zone.
    pub timezone: String,
    pub totals: Measures,
    pub periods: Vec<PeriodFigures>,
}

pub fn build(
    conn: &mut DbConn,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
    group_by: Grouping,
) -> AppResult<Report> {
    let whole = periods::whole(from, to, REPORT_ZONE);
    let list = periods::periods(from, to, group_by, REPORT_ZONE);
    // The whole range rides along as one more period, so each statement runs once.
    let mut all = list.clone();
    all.push(whole.clone());
    let mut figures = conn.transaction(|conn| {
        query::prepare(conn)?;
        match group_by {
            Grouping::Cohort => query::cohorts(conn, scope, &all, whole.end),
            Grouping::Week | Grouping::Month => query::activity(conn, scope, &all),
        }
    })?;
    let totals = figures.pop().unwrap_or_default();
    Ok(Report {
        from,
        to,
        group_by,
        timezone: REPORT_ZONE.name().to_string(),
        totals,
        periods: list
            .into_iter()
            .zip(figures)
            .map(|(p, measures)| PeriodFigures {
                label: p.label,
                start: rfc3339(p.start),
                end: rfc3339(p.end),
                measures,
            })
            .collect(),
    })
}

/// The report as CSV: one row per period and a totals row, measure names as columns.
pub fn to_csv(report: &Report) -> String {
    let mut out = format!("period,start,end,{}\n", measures::NAMES.join(","));
    let row = |label: &str, start: &str, end: &str, m: &Measures| {
        let values: Vec<String> = measures::NAMES
            .iter()
            .map(|n| m.get(n).unwrap_or_default())
            .collect();
        format!("{label},{start},{end},{}\n", values.join(","))
    };
    for p in &report.periods {
        out.push_str(&row(&p.label, &p.start, &p.end, &p.measures));
    }
    out.push_str(&row("total", "", "", &report.totals));
    out
}
