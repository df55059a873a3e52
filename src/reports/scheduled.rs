//! Scheduled report e-mails: each client that chose weekly or monthly gets the headline figures
//! for the last complete period, once, through the outbox.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{periods::Grouping, query::Scope};
use crate::{
    db::{schema::clients, DbConn},
    error::AppResult,
    mail::outbox,
};

/// The last complete week (Monday to Sunday) or month before `today`, with its label.
pub fn last_complete_period(
    frequency: &str,
    today: NaiveDate,
) -> Option<(String, NaiveDate, NaiveDate)> {
    match frequency {
        "weekly" => {
            let this_monday =
                today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            let from = this_monday - Duration::days(7);
            let week = from.iso_week();
            Some((
                format!("{}-W{:02}", week.year(), week.week()),
                from,
                this_monday - Duration::days(1),
            ))
        }
        "monthly" => {
            let first_this_month = today.with_day(1)?;
            let last_month_end = first_this_month - Duration::days(1);
            let from = last_month_end.with_day(1)?;
            Some((from.format("%Y-%m").to_string(), from, last_month_end))
        }
        _ => None,
    }
}

/// Queues the reports that are due; returns how many. Safe with several instances: the period
/// is claimed with a conditional update before the e-mail is queued, in one transaction.
pub fn enqueue_due(conn: &mut DbConn, today: NaiveDate, now: NaiveDateTime) -> AppResult<usize> {
    let due: Vec<(i64, String, Option<String>, Option<String>)> = clients::table
        .filter(clients::report_frequency.is_not_null())
        .filter(clients::report_email.is_not_null())
        .select((
            clients::id,
            clients::name,
            clients::report_frequency,
            clients::last_report_period,
        ))
        .load::<(i64, String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .collect();
    let mut queued = 0;
    for (client_id, name, frequency, last) in due {
        let Some((label, from, to)) = frequency
            .as_deref()
            .and_then(|f| last_complete_period(f, today))
        else {
            continue;
        };
        if last.as_deref() == Some(label.as_str()) {
            continue;
        }
        let result = crate::db::write_transaction(conn, |conn| -> AppResult<usize> {
            let claimed = diesel::update(clients::table.find(client_id))
                .filter(
                    clients::last_report_period
                        .is_null()
                        .or(clients::last_report_period.ne(&label)),
                )
                .set(clients::last_report_period.eq(&label))
                .execute(conn)?;
            if claimed == 0 {
                return Ok(0);
            }
            let email: Option<String> = clients::table
                .find(client_id)
                .select(clients::report_email)
                .first(conn)?;
            let Some(email) = email else { return Ok(0) };
            let report = super::build(conn, Scope::Client(client_id), from, to, Grouping::Month)?;
            outbox::enqueue(
                conn,
                outbox::kind::CLIENT_REPORT,
                None,
                &email,
                &serde_json::json!({"client": name, "period": label, "from": from, "to": to, "totals": report.totals}),
                now,
            )?;
            Ok(1)
        });
        // One client's failure (its transaction rolled back, the period unclaimed, so the next
        // run tries it again) does not hold up the reports of the clients after it.
        match result {
            Ok(n) => queued += n,
            Err(error) => tracing::error!(client_id, %error, "scheduled report not queued"),
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_last_complete_week_and_month() {
        assert_eq!(
            last_complete_period("weekly", d(2026, 3, 11)),
            Some(("2026-W10".into(), d(2026, 3, 2), d(2026, 3, 8)))
        );
        assert_eq!(
            last_complete_period("monthly", d(2026, 3, 1)),
            Some(("2026-02".into(), d(2026, 2, 1), d(2026, 2, 28)))
        );
        assert_eq!(
            last_complete_period("monthly", d(2026, 1, 15)),
            Some(("2025-12".into(), d(2025, 12, 1), d(2025, 12, 31)))
        );
        assert_eq!(last_complete_period("never", d(2026, 1, 15)), None);
    }
}
