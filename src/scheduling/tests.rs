use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::{America, Europe, Tz};

use super::{holidays::*, rules::*, *};

pub(super) fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub(super) fn london() -> (Tz, HolidayCalendar) {
    (
        Europe::London,
        HolidayCalendar::new(HolidayRegion::EnglandWales, []),
    )
}

pub(super) fn at(next: NextContact) -> DateTime<Utc> {
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
            &[tz],
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
        &[tz],
        &hol,
        &ContactHistory::default(),
        utc(2026, 3, 10, 21, 0),
    ));
    assert_eq!(next, utc(2026, 3, 11, 8, 0));
    // Saturday 20:30 → Monday 08:00 (no Sunday calls).
    let next = at(next_contact(
        &policy,
        &[tz],
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
        &[tz],
        &hol,
        &ContactHistory::default(),
        utc(2026, 7, 1, 6, 30),
    ));
    assert_eq!(next, utc(2026, 7, 1, 7, 0));
    // 19:30 UTC in summer is 20:30 BST: too late.
    let next = at(next_contact(
        &ContactPolicy::default(),
        &[tz],
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
        &[America::New_York],
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
    // A UK customer whose nation is not known is called on none of the nations' holidays.
    let uk = bank_holidays(HolidayRegion::UnitedKingdom, 2026);
    assert!(uk.is_superset(&ew) && uk.is_superset(&sc) && uk.is_superset(&ni));
    assert_eq!(
        HolidayRegion::of(&crate::domain::Region::parse("GB").unwrap()),
        HolidayRegion::UnitedKingdom
    );
    // 2027: Christmas Saturday, Boxing Day Sunday → Monday 27 and Tuesday 28.
    let ew27 = bank_holidays(HolidayRegion::EnglandWales, 2027);
    let d27 = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
    assert!(ew27.contains(&d27(12, 27)) && ew27.contains(&d27(12, 28)));
    // Nobody is called on Christmas Day itself either, though Saturday is a calling day and the
    // bank holiday moved (nor on Boxing Day 2026, a Saturday).
    let calendar = HolidayCalendar::new(HolidayRegion::EnglandWales, []);
    assert!(!ew27.contains(&d27(12, 25)) && calendar.is_holiday(d27(12, 25)));
    assert!(calendar.is_holiday(d(12, 26)) && calendar.is_holiday(d(12, 28)));
    assert!(!calendar.is_holiday(d(12, 24)));
    assert!(no_call_days(HolidayRegion::UnitedKingdom, 2027).contains(&d27(12, 25)));
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
        &[tz],
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
        &[tz],
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
        &[tz],
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
        &[tz],
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
        &[tz],
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
            &[tz],
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
            &[tz],
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
        next_contact(&ContactPolicy::default(), &[tz], &hol, &open, now),
        NextContact::OnHold
    );
}

#[test]
fn a_customer_in_two_zones_is_called_only_when_both_allow_it() {
    let (_, hol) = london();
    // Tuesday 10 March 2026, 10:00 in London (GMT) is 06:00 in New York (already on EDT).
    let now = utc(2026, 3, 10, 10, 0);
    let zones = [Europe::London, America::New_York];
    let next = next_contact(
        &ContactPolicy::default(),
        &zones,
        &hol,
        &ContactHistory::default(),
        now,
    );
    assert_eq!(
        next,
        NextContact::At {
            // 08:00 in New York, 12:00 in London.
            at: utc(2026, 3, 10, 12, 0),
            // London closes at 20:00 GMT, before New York does (00:00 GMT).
            window_end: utc(2026, 3, 10, 20, 0),
        }
    );
    assert!(!may_call_now(
        &ContactPolicy::default(),
        &zones,
        &hol,
        &ContactHistory::default(),
        now
    ));
}

#[test]
fn zones_whose_hours_never_meet_mean_no_calls_at_all() {
    let (_, hol) = london();
    let policy = ContactPolicy {
        earliest: chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
        latest: chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        ..ContactPolicy::default()
    };
    // 10:00–12:00 in London and in Auckland (13 hours ahead in March) never overlap.
    let zones = [Europe::London, chrono_tz::Pacific::Auckland];
    assert_eq!(
        next_contact(
            &policy,
            &zones,
            &hol,
            &ContactHistory::default(),
            utc(2026, 3, 10, 9, 0)
        ),
        NextContact::OnHold
    );
}

#[test]
fn a_local_time_at_the_end_of_the_calendar_gives_an_answer_not_a_panic() {
    // West of UTC the last representable local minute has no instant: there is no next minute
    // to try either.
    let last = chrono::NaiveDateTime::MAX;
    assert_eq!(
        local_to_utc(America::New_York, last).naive_utc(),
        last,
        "taken as UTC, as for any time no minute after it exists"
    );
}
