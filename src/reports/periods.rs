//! Report periods: weeks (from Monday) or months in the report's time zone, as UTC bounds.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{error::FieldErrors, scheduling::rules::local_to_utc};

/// Clients' reports use UK time: periods begin at midnight in London, summer time included.
pub const REPORT_ZONE: Tz = chrono_tz::Europe::London;

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 3 * 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// What happened in each week.
    Week,
    /// What happened in each month.
    Month,
    /// What became of the customers referred in each month, by the end of the range.
    Cohort,
}

impl Grouping {
    pub fn parse(raw: &str) -> Option<Grouping> {
        match raw {
            "week" => Some(Grouping::Week),
            "month" => Some(Grouping::Month),
            "cohort" => Some(Grouping::Cohort),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub label: String,
    /// UTC, inclusive.
    pub start: NaiveDateTime,
    /// UTC, exclusive.
    pub end: NaiveDateTime,
}

/// The UK date at `now`: the team's and the reports' "today" (in summer it starts an hour before
/// UTC's).
pub fn uk_today(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    now.with_timezone(&REPORT_ZONE).date_naive()
}

/// The UTC instant the UK day containing `now` began.
pub fn uk_midnight(now: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    midnight(uk_today(now), REPORT_ZONE)
}

fn midnight(day: NaiveDate, tz: Tz) -> NaiveDateTime {
    local_to_utc(tz, day.and_hms_opt(0, 0, 0).expect("midnight exists")).naive_utc()
}

/// Checks a requested range: `from` and `to` are whole days, both included.
pub fn check_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
    let mut errors = FieldErrors::new();
    // chrono reads "+262142-12-31" as a date; a day past it does not exist. A range runs to the
    // midnight after its last day, which must have a four-digit year too (PostgreSQL reads no
    // "+10000-01-01"): so nothing after 9998.
    let four_digit_year = |d: &NaiveDate| (1000..=9998).contains(&d.year());
    for (field, date) in [("from", from), ("to", to)] {
        if date.is_some_and(|d| !four_digit_year(&d)) {
            errors.insert(field.into(), vec!["must be a date, YYYY-MM-DD".into()]);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut add = |f: &str, m: &str| errors.entry(f.to_string()).or_default().push(m.to_string());
    match (from, to) {
        (Some(from), Some(to)) if from > to => add("to", "must be on or after from"),
        (Some(from), Some(to)) if (to - from).num_days() > MAX_DAYS => {
            add("to", "the range may be at most three years")
        }
        (Some(from), Some(to)) => return Ok((from, to)),
        (f, t) => {
            if f.is_none() {
                add("from", "is required, as YYYY-MM-DD");
            }
            if t.is_none() {
                add("to", "is required, as YYYY-MM-DD");
            }
        }
    }
    Err(errors)
}

/// The whole range as one period.
pub fn whole(from: NaiveDate, to: NaiveDate, tz: Tz) -> Period {
    Period {
        label: format!("{from} to {to}"),
        start: midnight(from, tz),
        end: midnight(to + Duration::days(1), tz),
    }
}

/// The periods covering `from..=to`; the first and last are clipped to the range.
pub fn periods(from: NaiveDate, to: NaiveDate, grouping: Grouping, tz: Tz) -> Vec<Period> {
    let stop = to + Duration::days(1);
    let mut out = Vec::new();
    let mut start = from;
    while start < stop {
        let next = match grouping {
            Grouping::Week => {
                start + Duration::days(7 - i64::from(start.weekday().num_days_from_monday()))
            }
            Grouping::Month | Grouping::Cohort => {
                let (y, m) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).expect("the first of a month exists")
            }
        }
        .min(stop);
        let label = match grouping {
            Grouping::Week => {
                let week = start.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Grouping::Month | Grouping::Cohort => start.format("%Y-%m").to_string(),
        };
        out.push(Period {
            label,
            start: midnight(start, tz),
            end: midnight(next, tz),
        });
        start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_uk_day_starts_an_hour_before_utcs_in_summer() {
        use chrono::TimeZone;
        let after_uk_midnight = chrono::Utc.with_ymd_and_hms(2026, 6, 9, 23, 30, 0).unwrap();
        assert_eq!(
            uk_midnight(after_uk_midnight),
            d(2026, 6, 9).and_hms_opt(23, 0, 0).unwrap()
        );
        assert_eq!(uk_today(after_uk_midnight), d(2026, 6, 10));
        let winter = chrono::Utc.with_ymd_and_hms(2026, 1, 9, 23, 30, 0).unwrap();
        assert_eq!(
            uk_midnight(winter),
            d(2026, 1, 9).and_hms_opt(0, 0, 0).unwrap()
        );
        assert_eq!(uk_today(winter), d(2026, 1, 9));
    }

    #[test]
    fn months_start_at_uk_midnight_through_summer_time() {
        let p = periods(d(2026, 3, 15), d(2026, 4, 30), Grouping::Month, REPORT_ZONE);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].label, "2026-03");
        assert_eq!(
            p[0].start.to_string(),
            "2026-03-15 00:00:00",
            "GMT in March"
        );
        assert_eq!(
            p[0].end.to_string(),
            "2026-03-31 23:00:00",
            "1 April 00:00 BST"
        );
        assert_eq!(p[1].end.to_string(), "2026-04-30 23:00:00");
    }

    #[test]
    fn weeks_run_monday_to_monday() {
        let p = periods(d(2026, 3, 4), d(2026, 3, 17), Grouping::Week, REPORT_ZONE);
        let labels: Vec<_> = p.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2026-W10", "2026-W11", "2026-W12"]);
        assert_eq!(p[1].start.to_string(), "2026-03-09 00:00:00");
    }

    #[test]
    fn ranges_are_checked() {
        assert!(check_range(Some(d(2026, 2, 1)), Some(d(2026, 1, 1)))
            .unwrap_err()
            .contains_key("to"));
        assert!(check_range(None, None).unwrap_err().contains_key("from"));
        assert!(check_range(Some(d(2020, 1, 1)), Some(d(2026, 1, 1))).is_err());
        // The last dates chrono can read: refused before a day is added to them.
        let edge = NaiveDate::MAX - Duration::days(2);
        let errors = check_range(Some(edge), Some(NaiveDate::MAX)).unwrap_err();
        assert!(errors.contains_key("from") && errors.contains_key("to"));
    }
}
