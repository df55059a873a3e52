use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::{America, Europe, Tz};
use proptest::prelude::*;

use super::{holidays::*, rules::*, *};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn london() -> (Tz, HolidayCalendar) {
    (
        Europe::London,
        HolidayCalendar::new(HolidayRegion::EnglandWales, []),
    )
}

fn at(next: NextContact) -> DateTime<Utc> {
    match next {
        NextContact::At { at, .. } => at,
        other => panic!("expected a time, got {other:?}"),
    }
}

#[test]
fn a_new_referral_inside_hours_is_due_at_once() {
    let (tz, hol) = london();
    // Tuesday 10 March 2026, 10:00 GMT.
    let now = utc(2026, 3, 10, 10, 0);
    assert_eq!(
        at(next_contact(
            &ContactPolicy::default(),
            tz,
            &hol,
            &ContactHistory::default(),
            now
        )),
        now
    );
}

#[test]
fn evenings_move_to_the_next_morning_and_sundays_to_monday() {
    let (tz, hol) = london();
    let policy = ContactPolicy::default();
    // Tuesday 21:00 → Wednesday 08:00.
    let next = at(next_contact(
        &policy,
        tz,
        &hol,
        &ContactHistory::default(),
        utc(2026, 3, 10, 21, 0),
    ));
    assert_eq!(next, utc(2026, 3, 11, 8, 0));
    // Saturday 20:30 → Monday 08:00 (no Sunday calls).
    let next = at(next_contact(
        &policy,
        tz,
        &hol,
        &ContactHistory::default(),
        utc(2026, 3, 14, 20, 30),
    ));
    assert_eq!(next, utc(2026, 3, 16, 8, 0));
}

#[test]
fn british_summer_time_shifts_the_utc_window() {
    let (tz, hol) = london();
    // 1 July 2026, 06:30 UTC = 07:30 BST → 08:00 BST = 07:00 UTC.
    let next = at(next_contact(
        &ContactPolicy::default(),
        tz,
        &hol,
        &ContactHistory::default(),
        utc(2026, 7, 1, 6, 30),
    ));
    assert_eq!(next, utc(2026, 7, 1, 7, 0));
    // 19:30 UTC in summer is 20:30 BST: too late.
    let next = at(next_contact(
        &ContactPolicy::default(),
        tz,
        &hol,
        &ContactHistory::default(),
        utc(2026, 7, 1, 19, 30),
    ));
    assert_eq!(next, utc(2026, 7, 2, 7, 0));
}

#[test]
fn customers_abroad_are_called_in_their_own_hours() {
    let hol = HolidayCalendar::new(HolidayRegion::Elsewhere, []);
    // 13:00 UTC on a Wednesday is 08:00 in New York (EST, UTC-5) — just allowed.
    let now = utc(2026, 1, 14, 12, 0);
    let next = at(next_contact(
        &ContactPolicy::default(),
        America::New_York,
        &hol,
        &ContactHistory::default(),
        now,
    ));
    assert_eq!(next, utc(2026, 1, 14, 13, 0));
}

#[test]
fn bank_holidays_differ_by_nation() {
    // 2026: Good Friday 3 Apr, Easter Monday 6 Apr, early May 4 May, spring 25 May, summer 31 Aug (E&W) / 3 Aug (Scotland).
    let ew = bank_holidays(HolidayRegion::EnglandWales, 2026);
    let sc = bank_holidays(HolidayRegion::Scotland, 2026);
    let ni = bank_holidays(HolidayRegion::NorthernIreland, 2026);
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    assert!(
        ew.contains(&d(4, 6)) && !sc.contains(&d(4, 6)),
        "Easter Monday is not a Scottish bank holiday"
    );
    assert!(ew.contains(&d(8, 31)) && sc.contains(&d(8, 3)) && !sc.contains(&d(8, 31)));
    assert!(sc.contains(&d(1, 2)) && sc.contains(&d(11, 30)));
    assert!(
        ni.contains(&d(3, 17)) && ni.contains(&d(7, 13)),
        "Twelfth on a Sunday moves to Monday 13th"
    );
    assert_eq!(ew.len(), 8);
    // 2027: Christmas Saturday, Boxing Day Sunday → Monday 27 and Tuesday 28.
    let ew27 = bank_holidays(HolidayRegion::EnglandWales, 2027);
    let d27 = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
    assert!(ew27.contains(&d27(12, 27)) && ew27.contains(&d27(12, 28)));
}

#[test]
fn easter_dates_are_right() {
    assert_eq!(
        easter_sunday(2024),
        NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
    );
    assert_eq!(
        easter_sunday(2025),
        NaiveDate::from_ymd_opt(2025, 4, 20).unwrap()
    );
    assert_eq!(
        easter_sunday(2026),
        NaiveDate::from_ymd_opt(2026, 4, 5).unwrap()
    );
}

#[test]
fn holidays_are_skipped() {
    let (tz, hol) = london();
    // Good Friday 2026 (3 Apr) → Saturday 4 Apr 08:00 BST.
    let next = at(next_contact(
        &ContactPolicy::default(),
        tz,
        &hol,
        &ContactHistory::default(),
        utc(2026, 4, 3, 9, 0),
    ));
    assert_eq!(next, utc(2026, 4, 4, 7, 0));
    let extra = HolidayCalendar::new(
        HolidayRegion::EnglandWales,
        [NaiveDate::from_ymd_opt(2026, 3, 11).unwrap()],
    );
    let next = at(next_contact(
        &ContactPolicy::default(),
        tz,
        &extra,
        &ContactHistory::default(),
        utc(2026, 3, 11, 9, 0),
    ));
    assert_eq!(
        next,
        utc(2026, 3, 12, 8, 0),
        "an admin-added holiday is skipped too"
    );
}

#[test]
fn four_hours_between_attempts() {
    let (tz, hol) = london();
    let history = ContactHistory {
        attempts: vec![utc(2026, 3, 10, 9, 0)],
        ..Default::default()
    };
    let next = at(next_contact(
        &ContactPolicy::default(),
        tz,
        &hol,
        &history,
        utc(2026, 3, 10, 9, 5),
    ));
    assert_eq!(next, utc(2026, 3, 10, 13, 0));
}

#[test]
fn no_more_than_seven_attempts_in_seven_days() {
    let (tz, hol) = london();
    let policy = ContactPolicy {
        max_attempts_24_hours: 3,
        ..Default::default()
    };
    let attempts: Vec<_> = (0..7)
        .map(|i| utc(2026, 3, 9 + i / 3, 8 + 4 * (i % 3), 0))
        .collect();
    let history = ContactHistory {
        attempts: attempts.clone(),
        ..Default::default()
    };
    let next = at(next_contact(
        &policy,
        tz,
        &hol,
        &history,
        utc(2026, 3, 11, 17, 0),
    ));
    assert!(next >= attempts[0] + Duration::days(7), "{next}");
}

#[test]
fn a_week_of_quiet_after_a_conversation_unless_a_callback_was_asked_for() {
    let (tz, hol) = london();
    let spoke = utc(2026, 3, 10, 10, 0);
    let history = ContactHistory {
        attempts: vec![spoke],
        last_conversation_at: Some(spoke),
        ..Default::default()
    };
    let next = at(next_contact(
        &ContactPolicy::default(),
        tz,
        &hol,
        &history,
        spoke,
    ));
    assert_eq!(next, utc(2026, 3, 17, 10, 0));
    let callback = utc(2026, 3, 12, 18, 30);
    let history = ContactHistory {
        callback_at: Some(callback),
        ..history
    };
    assert_eq!(
        at(next_contact(
            &ContactPolicy::default(),
            tz,
            &hol,
            &history,
            spoke
        )),
        callback
    );
}

#[test]
fn holds_stop_contact_until_they_end() {
    let (tz, hol) = london();
    let now = utc(2026, 3, 10, 10, 0);
    let ends = utc(2026, 5, 9, 10, 0);
    let history = ContactHistory {
        holds: vec![HoldPeriod {
            starts: now,
            ends: Some(ends),
        }],
        ..Default::default()
    };
    assert_eq!(
        at(next_contact(
            &ContactPolicy::default(),
            tz,
            &hol,
            &history,
            now
        )),
        ends
    );
    let open = ContactHistory {
        holds: vec![HoldPeriod {
            starts: now,
            ends: None,
        }],
        ..Default::default()
    };
    assert_eq!(
        next_contact(&ContactPolicy::default(), tz, &hol, &open, now),
        NextContact::OnHold
    );
}

#[test]
fn the_total_cap_closes_the_case() {
    let (tz, hol) = london();
    let policy = ContactPolicy {
        max_total_attempts: 2,
        ..Default::default()
    };
    let history = ContactHistory {
        attempts: vec![utc(2026, 3, 1, 9, 0), utc(2026, 3, 2, 9, 0)],
        ..Default::default()
    };
    assert_eq!(
        next_contact(&policy, tz, &hol, &history, utc(2026, 3, 10, 9, 0)),
        NextContact::Exhausted
    );
}

#[test]
fn looser_client_policies_are_refused_with_reasons() {
    let floor = ContactPolicy::default();
    let stricter = ContactPolicy {
        earliest: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        max_attempts_7_days: 3,
        ..Default::default()
    };
    assert!(stricter.check_not_looser_than(&floor).is_ok());
    let looser = ContactPolicy {
        latest: chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
        weekdays: [true; 7],
        min_hours_between_attempts: 1,
        ..Default::default()
    };
    let errors = looser.check_not_looser_than(&floor).unwrap_err();
    assert!(errors["latest"][0].contains("20:00"));
    assert!(errors.contains_key("weekdays"));
    assert!(errors.contains_key("min_hours_between_attempts"));
}

// ---- Property tests: whatever the history, zone and policy, the answer obeys every rule.

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
    #[test]
    fn scheduled_times_obey_every_rule(
        policy in policy_strategy(),
        zone in 0usize..ZONES.len(),
        region in prop::sample::select(vec![HolidayRegion::EnglandWales, HolidayRegion::Scotland, HolidayRegion::NorthernIreland]),
        now_offset in 0i64..(365 * 24 * 60),
        attempt_offsets in prop::collection::vec(0i64..(14 * 24 * 60), 0..10),
        spoke in prop::option::of(0i64..(10 * 24 * 60)),
        callback in prop::option::of(0i64..(5 * 24 * 60)),
        hold in prop::option::of((0i64..(10 * 24 * 60), prop::option::of(1i64..(60 * 24 * 60)))),
    ) {
        let tz = ZONES[zone];
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
        };
        match next_contact(&policy, tz, &holidays, &history, now) {
            NextContact::Exhausted => prop_assert!(attempts.len() as u32 >= policy.max_total_attempts),
            NextContact::OnHold => prop_assert!(history.holds.iter().any(|h| h.ends.is_none())),
            NextContact::At { at, window_end } => {
                prop_assert!(at >= now);
                prop_assert!(at < window_end);
                let local = at.with_timezone(&tz);
                let local_time = local.time();
                prop_assert!(local_time >= policy.earliest, "{local} before hours");
                prop_assert!(local_time < policy.latest, "{local} after hours");
                prop_assert!(policy.allows_weekday(local.weekday()), "{local} on a closed day");
                prop_assert!(!holidays.is_holiday(local.date_naive()), "{local} on a holiday");
                let end_local = window_end.with_timezone(&tz);
                prop_assert!(end_local.date_naive() == local.date_naive() && end_local.hour() <= policy.latest.hour());
                for h in &history.holds {
                    prop_assert!(!(h.starts <= at && h.ends.is_none_or(|e| at < e)), "under a hold");
                }
                for a in &attempts {
                    prop_assert!(*a + Duration::hours(policy.min_hours_between_attempts.into()) <= at || *a > at, "too soon after an attempt");
                }
                let in_7 = attempts.iter().filter(|a| **a > at - Duration::days(7) && **a <= at).count() as u32;
                prop_assert!(in_7 < policy.max_attempts_7_days, "7-day limit broken");
                let in_24 = attempts.iter().filter(|a| **a > at - Duration::hours(24) && **a <= at).count() as u32;
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
