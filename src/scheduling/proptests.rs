//! Property tests: whatever the history, zones and policy, the scheduled time obeys every rule.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use chrono_tz::{America, Europe, Tz};
use proptest::prelude::*;

use super::{holidays::*, rules::*, *};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

const ZONES: [Tz; 6] = [
    Europe::London,
    Europe::Dublin,
    America::New_York,
    America::Los_Angeles,
    chrono_tz::Australia::Sydney,
    chrono_tz::Asia::Kolkata,
];

fn policy_strategy() -> impl Strategy<Value = ContactPolicy> {
    (
        8u32..=12,
        15u32..=20,
        prop::array::uniform6(any::<bool>()),
        1u32..=7,
        1u32..=3,
        4u32..=24,
        7u32..=14,
        1u32..=12,
    )
        .prop_filter("some day allowed", |(_, _, days, ..)| {
            days.iter().any(|d| *d)
        })
        .prop_map(
            |(from, to, days, max7, max24, gap, quiet, cap)| ContactPolicy {
                earliest: chrono::NaiveTime::from_hms_opt(from, 0, 0).unwrap(),
                latest: chrono::NaiveTime::from_hms_opt(to, 0, 0).unwrap(),
                weekdays: [days[0], days[1], days[2], days[3], days[4], days[5], false],
                max_attempts_7_days: max7,
                max_attempts_24_hours: max24,
                min_hours_between_attempts: gap,
                quiet_days_after_conversation: quiet,
                max_total_attempts: cap,
            },
        )
}

fn instant(offset_minutes: i64) -> DateTime<Utc> {
    // Around 2026, spanning both DST changes.
    utc(2026, 1, 1, 0, 0) + Duration::minutes(offset_minutes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    // With `scheduled_times_obey_every_rule` (which holds for any policy), this is what makes
    // regional rules safe: whatever the two policies, calls follow both.
    #[test]
    fn combining_policies_never_loosens_either(a in policy_strategy(), b in policy_strategy()) {
        let both = a.strictest(&b);
        for p in [&a, &b] {
            prop_assert!(both.earliest >= p.earliest && both.latest <= p.latest);
            prop_assert!(both.weekdays.iter().zip(p.weekdays).all(|(mine, theirs)| !*mine || theirs));
            prop_assert!(both.max_attempts_7_days <= p.max_attempts_7_days);
            prop_assert!(both.max_attempts_24_hours <= p.max_attempts_24_hours);
            prop_assert!(both.max_total_attempts <= p.max_total_attempts);
            prop_assert!(both.min_hours_between_attempts >= p.min_hours_between_attempts);
            prop_assert!(both.quiet_days_after_conversation >= p.quiet_days_after_conversation);
        }
    }

    #[test]
    fn scheduled_times_obey_every_rule(
        policy in policy_strategy(),
        zone in 0usize..ZONES.len(),
        second_zone in prop::option::of(0usize..ZONES.len()),
        region in prop::sample::select(vec![HolidayRegion::EnglandWales, HolidayRegion::Scotland, HolidayRegion::NorthernIreland]),
        now_offset in 0i64..(365 * 24 * 60),
        attempt_offsets in prop::collection::vec(0i64..(14 * 24 * 60), 0..10),
        spoke in prop::option::of(0i64..(10 * 24 * 60)),
        callback in prop::option::of(0i64..(5 * 24 * 60)),
        hold in prop::option::of((0i64..(10 * 24 * 60), prop::option::of(1i64..(60 * 24 * 60)))),
        unrecorded in prop::collection::vec(0i64..(8 * 24 * 60), 0..4),
    ) {
        let zones: Vec<Tz> = std::iter::once(ZONES[zone]).chain(second_zone.map(|z| ZONES[z])).collect();
        let holidays = HolidayCalendar::new(region, []);
        let now = instant(now_offset);
        let attempts: Vec<_> = attempt_offsets.iter().map(|o| now - Duration::minutes(*o)).collect();
        let history = ContactHistory {
            attempts: attempts.clone(),
            last_conversation_at: spoke.map(|o| now - Duration::minutes(o)),
            callback_at: callback.map(|o| now + Duration::minutes(o)),
            holds: hold.map(|(start, len)| HoldPeriod {
                starts: now - Duration::minutes(start),
                ends: len.map(|l| now - Duration::minutes(start) + Duration::minutes(l)),
            }).into_iter().collect(),
            unrecorded_calls: unrecorded.iter().map(|o| now - Duration::minutes(*o)).collect(),
        };
        // A call that may have happened counts for the gap and the rolling limits.
        let possible_calls: Vec<_> = attempts.iter().chain(&history.unrecorded_calls).copied().collect();
        match next_contact(&policy, &zones, &holidays, &history, now) {
            NextContact::Exhausted => prop_assert!(attempts.len() as u32 >= policy.max_total_attempts),
            // Open-ended holds, or zones whose hours never meet.
            NextContact::OnHold => prop_assert!(history.holds.iter().any(|h| h.ends.is_none()) || zones.len() > 1),
            NextContact::At { at, window_end } => {
                prop_assert!(at >= now);
                prop_assert!(at < window_end);
                for tz in &zones {
                    let local = at.with_timezone(tz);
                    let local_time = local.time();
                    prop_assert!(local_time >= policy.earliest, "{local} before hours");
                    prop_assert!(local_time < policy.latest, "{local} after hours");
                    prop_assert!(policy.allows_weekday(local.weekday()), "{local} on a closed day");
                    prop_assert!(!holidays.is_holiday(local.date_naive()), "{local} on a holiday");
                    let end_local = window_end.with_timezone(tz);
                    prop_assert!(end_local.date_naive() == local.date_naive() && end_local.hour() <= policy.latest.hour());
                }
                for h in &history.holds {
                    prop_assert!(!(h.starts <= at && h.ends.is_none_or(|e| at < e)), "under a hold");
                }
                for a in &possible_calls {
                    prop_assert!(*a + Duration::hours(policy.min_hours_between_attempts.into()) <= at || *a > at, "too soon after an attempt");
                }
                let in_7 = possible_calls.iter().filter(|a| **a > at - Duration::days(7) && **a <= at).count() as u32;
                prop_assert!(in_7 < policy.max_attempts_7_days, "7-day limit broken");
                let in_24 = possible_calls.iter().filter(|a| **a > at - Duration::hours(24) && **a <= at).count() as u32;
                prop_assert!(in_24 < policy.max_attempts_24_hours, "24-hour limit broken");
                if let (None, Some(spoke)) = (history.callback_at, history.last_conversation_at) {
                    prop_assert!(at >= spoke + Duration::days(policy.quiet_days_after_conversation.into()));
                }
                if let Some(cb) = history.callback_at {
                    prop_assert!(at >= cb);
                }
            }
        }
    }
}
