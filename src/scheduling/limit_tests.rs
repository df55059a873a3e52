//! The attempt cap, the limits a client's policy may and may not set, and holds in a row.

use super::{
    rules::*,
    tests::{at, london, utc},
    *,
};

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
        next_contact(&policy, &[tz], &hol, &history, utc(2026, 3, 10, 9, 0)),
        NextContact::Exhausted
    );
}

/// Two unanswered calls reach this policy's cap.
fn two_call_cap() -> ContactPolicy {
    ContactPolicy {
        max_total_attempts: 2,
        ..Default::default()
    }
}

#[test]
fn reaching_the_customer_on_the_last_attempt_keeps_the_case_open() {
    let (tz, hol) = london();
    let spoke = utc(2026, 3, 2, 9, 0);
    let history = ContactHistory {
        attempts: vec![utc(2026, 3, 1, 9, 0), spoke],
        last_conversation_at: Some(spoke),
        ..Default::default()
    };
    let now = utc(2026, 3, 3, 9, 0);
    // The week of quiet after the conversation, then calls again.
    assert_eq!(
        at(next_contact(&two_call_cap(), &[tz], &hol, &history, now)),
        utc(2026, 3, 9, 9, 0)
    );
    // Two unanswered calls after that conversation reach the cap again.
    let after = ContactHistory {
        attempts: [
            history.attempts.clone(),
            vec![utc(2026, 3, 9, 9, 0), utc(2026, 3, 10, 9, 0)],
        ]
        .concat(),
        ..history
    };
    assert_eq!(
        next_contact(&two_call_cap(), &[tz], &hol, &after, utc(2026, 3, 11, 9, 0)),
        NextContact::Exhausted
    );
}

#[test]
fn a_callback_asked_for_on_the_last_attempt_is_still_made() {
    let (tz, hol) = london();
    let callback = utc(2026, 3, 4, 15, 30);
    let history = ContactHistory {
        attempts: vec![utc(2026, 3, 1, 9, 0), utc(2026, 3, 2, 9, 0)],
        callback_at: Some(callback),
        ..Default::default()
    };
    assert_eq!(
        at(next_contact(
            &two_call_cap(),
            &[tz],
            &hol,
            &history,
            utc(2026, 3, 2, 9, 5)
        )),
        callback
    );
}

#[test]
fn a_hold_placed_at_the_cap_defers_closing_until_it_ends() {
    let (tz, hol) = london();
    let now = utc(2026, 3, 2, 9, 5);
    let ends = utc(2026, 5, 1, 9, 5);
    let held = |ends| ContactHistory {
        attempts: vec![utc(2026, 3, 1, 9, 0), utc(2026, 3, 2, 9, 0)],
        holds: vec![HoldPeriod { starts: now, ends }],
        ..Default::default()
    };
    // Breathing Space: no contact at all, not even the closing e-mail, until it ends.
    assert_eq!(
        next_contact(&two_call_cap(), &[tz], &hol, &held(None), now),
        NextContact::OnHold
    );
    assert_eq!(
        at(next_contact(
            &two_call_cap(),
            &[tz],
            &hol,
            &held(Some(ends)),
            now
        )),
        ends
    );
    assert_eq!(
        next_contact(&two_call_cap(), &[tz], &hol, &held(Some(ends)), ends),
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

#[test]
fn waits_of_years_are_refused_and_never_overflow_the_calendar() {
    let floor = ContactPolicy::default();
    let endless = ContactPolicy {
        quiet_days_after_conversation: 100_000_000,
        min_hours_between_attempts: 1_000_000,
        ..Default::default()
    };
    let errors = endless.check_not_looser_than(&floor).unwrap_err();
    assert!(errors["quiet_days_after_conversation"][0].contains("at most 90"));
    assert!(errors["min_hours_between_attempts"][0].contains("at most 720"));
    // A policy stored before the bounds existed: no contact, never a crash.
    let (tz, hol) = london();
    let spoke = utc(2026, 3, 2, 9, 0);
    let history = ContactHistory {
        attempts: vec![spoke],
        last_conversation_at: Some(spoke),
        ..Default::default()
    };
    for endless in [
        ContactPolicy {
            quiet_days_after_conversation: u32::MAX,
            ..Default::default()
        },
        ContactPolicy {
            min_hours_between_attempts: u32::MAX,
            ..Default::default()
        },
    ] {
        assert_eq!(
            next_contact(&endless, &[tz], &hol, &history, utc(2026, 3, 3, 9, 0)),
            NextContact::OnHold
        );
    }
}

#[test]
fn a_call_left_with_no_outcome_holds_off_the_next_but_is_not_counted_towards_the_cap() {
    let (tz, hol) = london();
    // One unanswered call on Monday; on Tuesday at 10:00 a handler's claim ran out mid-call.
    let history = ContactHistory {
        attempts: vec![utc(2026, 3, 9, 9, 0)],
        unrecorded_calls: vec![utc(2026, 3, 10, 10, 0)],
        ..Default::default()
    };
    let now = utc(2026, 3, 10, 10, 20);
    // The customer may have been called at 10:00: the next call waits out the 4-hour gap.
    assert_eq!(
        at(next_contact(&two_call_cap(), &[tz], &hol, &history, now)),
        utc(2026, 3, 10, 14, 0)
    );
    // Only one call is known to have gone unanswered: the case stays open under a cap of two.
    assert!(!history.unable_to_contact(two_call_cap().max_total_attempts));
    // It counts towards the 24-hour limit, as a call would.
    let one_a_day = ContactPolicy {
        max_attempts_24_hours: 1,
        ..Default::default()
    };
    let quiet_before = ContactHistory {
        attempts: vec![],
        ..history.clone()
    };
    assert_eq!(
        at(next_contact(&one_a_day, &[tz], &hol, &quiet_before, now)),
        utc(2026, 3, 11, 10, 0)
    );
}

#[test]
fn every_call_left_with_no_outcome_counts_towards_the_seven_day_limit() {
    let (tz, hol) = london();
    // Monday to Thursday: four recorded calls, and three more a handler's claim ran out on.
    let history = ContactHistory {
        attempts: vec![
            utc(2026, 3, 9, 9, 0),
            utc(2026, 3, 10, 9, 0),
            utc(2026, 3, 11, 9, 0),
            utc(2026, 3, 12, 9, 0),
        ],
        unrecorded_calls: vec![
            utc(2026, 3, 9, 14, 0),
            utc(2026, 3, 10, 14, 0),
            utc(2026, 3, 11, 14, 0),
        ],
        ..Default::default()
    };
    // Seven possible calls in seven days: the next waits until Monday's first leaves the week.
    assert_eq!(
        at(next_contact(
            &ContactPolicy::default(),
            &[tz],
            &hol,
            &history,
            utc(2026, 3, 12, 13, 30)
        )),
        utc(2026, 3, 16, 9, 0)
    );
}

#[test]
fn holds_following_one_another_are_all_waited_out_however_many() {
    let (tz, hol) = london();
    // Tuesday 10 March 2026, 10:00 GMT: seventy day-long holds, each starting as the one before
    // ends, listed newest first (the order asks the most rounds of the rules).
    let now = utc(2026, 3, 10, 10, 0);
    let holds: Vec<HoldPeriod> = (0..70)
        .rev()
        .map(|day| HoldPeriod {
            starts: now + chrono::Duration::days(day),
            ends: Some(now + chrono::Duration::days(day + 1)),
        })
        .collect();
    let history = ContactHistory {
        holds: holds.clone(),
        ..Default::default()
    };
    let next = at(next_contact(
        &ContactPolicy::default(),
        &[tz],
        &hol,
        &history,
        now,
    ));
    assert!(next >= now + chrono::Duration::days(70), "{next}");
    assert!(holds.iter().all(|hold| !hold.applies_at(next)));
}
