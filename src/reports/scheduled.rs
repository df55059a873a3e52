//! Scheduled report e-mails: each client that chose weekly or monthly gets the headline figures
//! for the last complete period, once, through the outbox.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
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

/// At most this many reports owed are queued at once, oldest first: after a longer outage the
/// older ones are left out (and logged) rather than filling the client's inbox.
pub const MAX_CATCH_UP: usize = 6;

/// The reports a client is owed (see [`periods_owed`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Owed {
    /// Complete periods, oldest first: (label, first day, last day).
    pub periods: Vec<(String, NaiveDate, NaiveDate)>,
    /// Older periods after the last one sent were left out ([`MAX_CATCH_UP`]).
    pub older_left_out: bool,
}

/// The complete periods owed a report, oldest first. Every complete period after the one last
/// sent, so a week or month in which no instance ran is still reported once the service is
/// back (up to [`MAX_CATCH_UP`]). With none sent yet in this frequency (a new schedule, or one
/// switched from weekly to monthly), just the last complete period.
pub fn periods_owed(frequency: &str, last_sent: Option<&str>, today: NaiveDate) -> Owed {
    let owed = |periods| Owed {
        periods,
        older_left_out: false,
    };
    let Some(latest) = last_complete_period(frequency, today) else {
        return owed(Vec::new());
    };
    let sent_from = last_sent.and_then(|label| period_start(frequency, label));
    let Some(sent_from) = sent_from.filter(|from| *from < latest.1) else {
        let already = sent_from.is_some_and(|from| from >= latest.1);
        return owed(if already { Vec::new() } else { vec![latest] });
    };
    let mut periods = vec![latest];
    let mut older_left_out = false;
    while let Some(before) = periods
        .last()
        .and_then(|earliest| last_complete_period(frequency, earliest.1))
        .filter(|before| before.1 > sent_from)
    {
        if periods.len() == MAX_CATCH_UP {
            older_left_out = true;
            break;
        }
        periods.push(before);
    }
    periods.reverse();
    Owed {
        periods,
        older_left_out,
    }
}

/// The first day of the period a stored label names, when it is one of `frequency`'s.
fn period_start(frequency: &str, label: &str) -> Option<NaiveDate> {
    match frequency {
        "weekly" => {
            let (year, week) = label.split_once("-W")?;
            NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)
        }
        "monthly" => {
            let (year, month) = label.split_once('-')?;
            NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
        }
        _ => None,
    }
}

/// Queues the reports that are due; returns how many. Safe with several instances: each period
/// is claimed with a conditional update (from the period before it) before its e-mail is
/// queued, in one transaction.
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
        .load::<(i64, String, Option<String>, Option<String>)>(conn)?;
    let mut queued = 0;
    for (client_id, name, frequency, last) in due {
        let frequency = frequency.unwrap_or_default();
        let owed = periods_owed(&frequency, last.as_deref(), today);
        if owed.older_left_out {
            tracing::warn!(
                client_id,
                "scheduled reports older than the last {MAX_CATCH_UP} periods were not sent"
            );
        }
        let mut previous = last;
        for (label, from, to) in owed.periods {
            let result = crate::db::write_transaction(conn, |conn| {
                queue_report(
                    conn,
                    client_id,
                    &name,
                    previous.as_deref(),
                    (&label, from, to),
                    now,
                )
            });
            // One client's failure (its transaction rolled back, the period unclaimed, so the
            // next run tries it again) does not hold up the reports of the clients after it.
            match result {
                Ok(true) => queued += 1,
                Ok(false) => break, // another instance took this period (and so the rest)
                Err(error) => {
                    tracing::error!(client_id, %error, "scheduled report not queued");
                    break;
                }
            }
            previous = Some(label);
        }
    }
    Ok(queued)
}

/// Claims one period for a client (if its last report is still `previous`) and queues its
/// e-mail; false when another instance claimed it first.
fn queue_report(
    conn: &mut DbConn,
    client_id: i64,
    name: &str,
    previous: Option<&str>,
    (label, from, to): (&str, NaiveDate, NaiveDate),
    now: NaiveDateTime,
) -> AppResult<bool> {
    let still_previous = clients::table.find(client_id);
    let claimed = match previous {
        Some(previous) => {
            diesel::update(still_previous.filter(clients::last_report_period.eq(previous)))
                .set(clients::last_report_period.eq(label))
                .execute(conn)?
        }
        None => diesel::update(still_previous.filter(clients::last_report_period.is_null()))
            .set(clients::last_report_period.eq(label))
            .execute(conn)?,
    };
    if claimed == 0 {
        return Ok(false);
    }
    let email: Option<String> = clients::table
        .find(client_id)
        .select(clients::report_email)
        .first(conn)?;
    let Some(email) = email else { return Ok(false) };
    let report = super::build(conn, Scope::Client(client_id), from, to, Grouping::Month)?;
    outbox::enqueue(
        conn,
        outbox::kind::CLIENT_REPORT,
        None,
        &email,
        &serde_json::json!({"client": name, "period": label, "from": from, "to": to, "totals": report.totals}),
        now,
    )?;
    Ok(true)
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

    fn labels(owed: Owed) -> Vec<String> {
        owed.periods.into_iter().map(|p| p.0).collect()
    }

    #[test]
    fn periods_missed_while_nothing_ran_are_still_owed() {
        let today = d(2026, 3, 3); // last complete week: 2026-W09
        assert_eq!(
            labels(periods_owed("weekly", Some("2026-W09"), today)),
            Vec::<String>::new()
        );
        assert_eq!(
            labels(periods_owed("weekly", Some("2026-W08"), today)),
            ["2026-W09"]
        );
        assert_eq!(
            labels(periods_owed("weekly", Some("2026-W06"), today)),
            ["2026-W07", "2026-W08", "2026-W09"]
        );
        // Across a year's end (2026 has 53 ISO weeks).
        assert_eq!(
            labels(periods_owed("weekly", Some("2026-W52"), d(2027, 1, 12))),
            ["2026-W53", "2027-W01"]
        );
        assert_eq!(
            labels(periods_owed("monthly", Some("2025-11"), today)),
            ["2025-12", "2026-01", "2026-02"]
        );
        // After a long outage, only the latest few; exactly that many leaves nothing out.
        assert!(periods_owed("weekly", Some("2025-W01"), today).older_left_out);
        assert!(!periods_owed("weekly", Some("2026-W03"), today).older_left_out);
        assert_eq!(
            periods_owed("weekly", Some("2026-W03"), today)
                .periods
                .len(),
            MAX_CATCH_UP
        );
        let owed = labels(periods_owed("weekly", Some("2025-W01"), today));
        assert_eq!(owed.len(), MAX_CATCH_UP);
        assert_eq!(owed.last().map(String::as_str), Some("2026-W09"));
        assert_eq!(owed[0], "2026-W04");
    }

    #[test]
    fn a_new_or_switched_schedule_starts_with_the_last_complete_period() {
        let today = d(2026, 3, 3);
        assert_eq!(labels(periods_owed("weekly", None, today)), ["2026-W09"]);
        assert_eq!(
            labels(periods_owed("monthly", Some("2026-W09"), today)),
            ["2026-02"]
        );
        assert_eq!(
            labels(periods_owed("weekly", Some("2026-02"), today)),
            ["2026-W09"]
        );
        assert_eq!(
            labels(periods_owed("never", None, today)),
            Vec::<String>::new()
        );
    }
}
