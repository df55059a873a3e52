//! The median hours from referral to first contact, per period, as one SQL statement.

use super::{periods::Period, query::timestamp};
use crate::db::Backend;

fn hours_to_first_contact(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM (m.first_contact_at - m.referred_at)) AS DOUBLE PRECISION) / 3600.0",
        Backend::Sqlite => "(julianday(m.first_contact_at) - julianday(m.referred_at)) * 24.0",
    }
}

/// Each period's median (rows of `idx`, `value`) over the contacted cases whose `time` (a
/// `case_milestones m` column) falls in it; `cte` is the periods' `WITH p(idx, s, e)`, and
/// `filter` narrows the rows (`AND m.client_id = …`). PostgreSQL has an ordered-set aggregate for
/// it; SQLite picks the middle row(s) with window functions. Both average the two middle values
/// when the count is even.
pub(super) fn statement(
    backend: Backend,
    periods: &[Period],
    cte: &str,
    filter: &str,
    time: &str,
) -> String {
    let hours = hours_to_first_contact(backend);
    let join_on = format!("{time} >= p.s AND {time} < p.e");
    match backend {
        Backend::Postgres => match buckets(periods) {
            // One binary search a row (`width_bucket`) instead of a comparison with every
            // period: a year by month joined each contacted case to 13 periods, and that join
            // was most of a report's time (README, Benchmarks).
            Some(whole) => {
                let literal = |at| timestamp(backend, at);
                let starts: Vec<String> = periods[..whole].iter().map(|p| literal(p.start)).collect();
                let (from, to) = (literal(periods[whole].start), literal(periods[whole].end));
                format!(
                    "WITH d AS (SELECT width_bucket({time}, ARRAY[{starts}]) - 1 AS idx, {hours} AS h \
                     FROM case_milestones m WHERE m.first_contact_at IS NOT NULL {filter} \
                     AND {time} >= {from} AND {time} < {to}) \
                     SELECT CAST(COALESCE(idx, {whole}) AS BIGINT) AS idx, \
                     CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY h) AS DOUBLE PRECISION) AS value \
                     FROM d GROUP BY GROUPING SETS ((idx), ())",
                    starts = starts.join(", "),
                )
            }
            None => format!(
                "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, \
                 CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY {hours}) AS DOUBLE PRECISION) AS value \
                 FROM case_milestones m JOIN p ON {join_on} WHERE m.first_contact_at IS NOT NULL {filter} GROUP BY p.idx"
            ),
        },
        Backend::Sqlite => format!(
            "{cte}, d AS (SELECT CAST(p.idx AS BIGINT) AS idx, {hours} AS h FROM case_milestones m JOIN p ON {join_on} \
             WHERE m.first_contact_at IS NOT NULL {filter}), \
             r AS (SELECT idx, h, ROW_NUMBER() OVER (PARTITION BY idx ORDER BY h) AS rn, COUNT(*) OVER (PARTITION BY idx) AS cnt FROM d) \
             SELECT idx, CAST(AVG(h) AS DOUBLE PRECISION) AS value FROM r WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY idx"
        ),
    }
}

/// Where the whole range is, when `periods` are back-to-back periods followed by the whole range
/// they cover (as reports ask for them): each instant then lies in exactly one of the first ones,
/// found by its place among their starts.
fn buckets(periods: &[Period]) -> Option<usize> {
    let (whole, parts) = periods.split_last()?;
    let (first, last) = (parts.first()?, parts.last()?);
    let back_to_back = parts.windows(2).all(|pair| pair[0].end == pair[1].start);
    (back_to_back && whole.start == first.start && whole.end == last.end).then_some(parts.len())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn period(from: (i32, u32), to: (i32, u32)) -> Period {
        let at = |(y, m)| {
            NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap()
        };
        Period {
            label: String::new(),
            start: at(from),
            end: at(to),
        }
    }

    #[test]
    fn back_to_back_periods_and_their_whole_range_are_buckets() {
        let months = [period((2025, 1), (2025, 2)), period((2025, 2), (2025, 3))];
        let whole = period((2025, 1), (2025, 3));
        assert_eq!(
            buckets(&[months[0].clone(), months[1].clone(), whole]),
            Some(2)
        );
        // A gap, a whole range that is not theirs, or nothing but a whole: compared one by one.
        let gap = [period((2025, 1), (2025, 2)), period((2025, 3), (2025, 4))];
        assert_eq!(
            buckets(&[gap[0].clone(), gap[1].clone(), period((2025, 1), (2025, 4))]),
            None
        );
        assert_eq!(
            buckets(&[
                months[0].clone(),
                months[1].clone(),
                period((2025, 1), (2025, 4))
            ]),
            None
        );
        assert_eq!(buckets(&[period((2025, 1), (2025, 2))]), None);
    }
}
