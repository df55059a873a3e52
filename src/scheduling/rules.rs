//! The contact rules as one pure function: policy + history + now → the next allowed time.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{ContactPolicy, HolidayCalendar};

/// A hold on contact: from `starts` until `ends` (open-ended when `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldPeriod {
    pub starts: DateTime<Utc>,
    pub ends: Option<DateTime<Utc>>,
}

impl HoldPeriod {
    /// Whether the hold applies at `t` (from its start, until its end if it has one).
    pub fn applies_at(&self, t: DateTime<Utc>) -> bool {
        self.starts <= t && self.ends.is_none_or(|end| t < end)
    }
}

/// What the rules need to know about a case's past.
#[derive(Clone, Debug, Default)]
pub struct ContactHistory {
    /// When each call attempt was made, in any order.
    pub attempts: Vec<DateTime<Utc>>,
    pub last_conversation_at: Option<DateTime<Utc>>,
    /// A callback the customer asked for, not yet made.
    pub callback_at: Option<DateTime<Utc>>,
    /// Holds not lifted.
    pub holds: Vec<HoldPeriod>,
    /// Calls that ended with no outcome recorded (the handler's claim ran out: the browser
    /// closed mid-call), each at the last moment the handler was seen on it. The customer may
    /// have been called then, so each counts as an attempt for the gap and the rolling limits;
    /// not for the total cap, which closes a case only on attempts known to have gone unanswered.
    pub unrecorded_calls: Vec<DateTime<Utc>>,
}

impl ContactHistory {
    /// The attempt cap is reached: `cap` calls since the customer was last reached, none of them
    /// answered. A customer who spoke to us, or asked for a callback not yet made, is not one we
    /// were unable to contact.
    pub fn unable_to_contact(&self, cap: u32) -> bool {
        let unanswered = self
            .attempts
            .iter()
            .filter(|a| self.last_conversation_at.is_none_or(|spoke| **a > spoke))
            .count();
        self.callback_at.is_none() && unanswered as u32 >= cap
    }

    /// Whether a hold applies at `t`. While one does, even the closing e-mail of a case whose
    /// attempts ran out waits: a hold such as Breathing Space means no contact at all.
    pub fn held_at(&self, t: DateTime<Utc>) -> bool {
        self.holds.iter().any(|h| h.applies_at(t))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextContact {
    /// The next call may start at `at`, and must start before `window_end` (the end of the
    /// customer's contact hours that day).
    At {
        at: DateTime<Utc>,
        window_end: DateTime<Utc>,
    },
    /// An open-ended hold applies: no contact until it is lifted. (Also the answer when the
    /// customer's zones never share contact hours: nobody may call until the zones are put right.)
    OnHold,
    /// The attempt cap is reached and no hold applies: the case closes as unable to contact.
    Exhausted,
}

/// The customer's local wall-clock time as an instant. In a spring-forward gap the time does not
/// exist, so the first instant after the gap is used; in an autumn overlap, the earlier instant.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=180 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => return earlier.with_timezone(&Utc),
            // Past chrono's last instant there is no next minute: give up as below.
            LocalResult::None => match probe.checked_add_signed(Duration::minutes(1)) {
                Some(next) => probe = next,
                None => break,
            },
        }
    }
    Utc.from_utc_datetime(&local)
}

fn allowed_day(policy: &ContactPolicy, holidays: &HolidayCalendar, day: NaiveDate) -> bool {
    policy.allows_weekday(chrono::Datelike::weekday(&day)) && !holidays.is_holiday(day)
}

/// Moves `t` to the first instant inside the contact hours of one zone, returning it with that
/// window's end.
fn into_zone_hours(
    policy: &ContactPolicy,
    tz: Tz,
    holidays: &HolidayCalendar,
    t: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let local = t.with_timezone(&tz).naive_local();
    let mut day = local.date();
    // Two years of searching is far beyond any real calendar; it bounds a policy with no days.
    for _ in 0..732 {
        if allowed_day(policy, holidays, day) {
            let opens = local_to_utc(tz, day.and_time(policy.earliest));
            let closes = local_to_utc(tz, day.and_time(policy.latest));
            let candidate = t.max(opens);
            if candidate < closes {
                return Some((candidate, closes));
            }
        }
        day = day.succ_opt()?;
    }
    None
}

/// Moves `t` to the first instant inside the customer's contact hours in *every* zone they may
/// be in (an address in one, a phone in another), returning it with the end of that shared
/// window; `None` when the zones' hours never meet.
fn into_contact_hours(
    policy: &ContactPolicy,
    zones: &[Tz],
    holidays: &HolidayCalendar,
    t: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut t = t;
    // Each zone can only move `t` later; when none does, `t` is allowed everywhere. Two zones
    // whose windows never overlap keep pushing each other on; the bound ends that.
    'search: for _ in 0..64 {
        let mut closes: Option<DateTime<Utc>> = None;
        for &tz in zones {
            let (opened, closing) = into_zone_hours(policy, tz, holidays, t)?;
            if opened > t {
                t = opened;
                continue 'search;
            }
            closes = Some(closes.map_or(closing, |c| c.min(closing)));
        }
        return closes.map(|closes| (t, closes));
    }
    None
}

/// The earliest time ≥ `t` at which fewer than `limit` attempts fall in the `window` before it.
fn respecting_rolling_limit(
    attempts: &[DateTime<Utc>],
    limit: u32,
    window: Duration,
    t: DateTime<Utc>,
) -> DateTime<Utc> {
    let in_window: Vec<&DateTime<Utc>> = attempts
        .iter()
        .filter(|a| **a > t - window && **a <= t)
        .collect();
    let limit = limit.max(1) as usize;
    if in_window.len() < limit {
        return t;
    }
    // Wait until enough of the oldest attempts have left the window.
    *in_window[in_window.len() - limit] + window
}

/// The next time the customer may be called. `zones` are every time zone they may be in, the
/// first being their own; a call is allowed only when it is allowed in all of them.
pub fn next_contact(
    policy: &ContactPolicy,
    zones: &[Tz],
    holidays: &HolidayCalendar,
    history: &ContactHistory,
    now: DateTime<Utc>,
) -> NextContact {
    if history.unable_to_contact(policy.max_total_attempts) && !history.held_at(now) {
        return NextContact::Exhausted;
    }
    let mut attempts = history.attempts.clone();
    attempts.extend(history.unrecorded_calls.iter().copied());
    attempts.sort();
    let mut t = now;
    match (history.callback_at, history.last_conversation_at) {
        // A callback the customer asked for overrides the quiet period after a conversation.
        (Some(callback), _) => t = t.max(callback),
        (None, Some(spoke)) => {
            let quiet = Duration::days(policy.quiet_days_after_conversation.into());
            // Policies are bounded when saved; a wait past the calendar's end means "never".
            let Some(until) = spoke.checked_add_signed(quiet) else {
                return NextContact::OnHold;
            };
            t = t.max(until)
        }
        (None, None) => {}
    }
    // Each rule only moves `t` later, so repeating until nothing moves finds the earliest time
    // that satisfies all of them at once.
    for _ in 0..64 {
        let before = t;
        if let Some(last) = attempts.last() {
            let gap = Duration::hours(policy.min_hours_between_attempts.into());
            let Some(after_gap) = last.checked_add_signed(gap) else {
                return NextContact::OnHold;
            };
            t = t.max(after_gap);
        }
        t = respecting_rolling_limit(&attempts, policy.max_attempts_7_days, Duration::days(7), t);
        t = respecting_rolling_limit(
            &attempts,
            policy.max_attempts_24_hours,
            Duration::hours(24),
            t,
        );
        // Holds may follow one another (a Breathing Space renewed as it ends): past all of
        // them before the other rules look again. Each jump passes a hold's end, so each hold
        // is passed once at most.
        while let Some(hold) = history.holds.iter().find(|hold| hold.applies_at(t)) {
            match hold.ends {
                Some(end) => t = end,
                None => return NextContact::OnHold,
            }
        }
        // Zones whose hours never meet: nobody may call until someone corrects the zones, which
        // is what an open-ended hold means to the queue.
        let Some((opened, window_end)) = into_contact_hours(policy, zones, holidays, t) else {
            return NextContact::OnHold;
        };
        t = opened;
        if t == before {
            return NextContact::At { at: t, window_end };
        }
    }
    // The rules did not settle (no history seen so far needs this many rounds): a time found
    // now would not have been checked against every rule, and calling under a hold or past a
    // limit is worse than waiting until the case changes.
    NextContact::OnHold
}

/// When the contact hours the customer is in at `now` close; `None` when `now` is outside them
/// (so no call may start). Hours only: limits and holds are the claim's concern.
pub fn hours_close(
    policy: &ContactPolicy,
    zones: &[Tz],
    holidays: &HolidayCalendar,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match into_contact_hours(policy, zones, holidays, now) {
        Some((opened, closes)) if opened == now => Some(closes),
        _ => None,
    }
}

/// How long after the customer's contact hours end a call that began in them may go on (and
/// its claim be renewed) so its outcome can be recorded.
pub const CALL_OVERRUN_MINUTES: i64 = 60;

/// Whether a call begun inside the contact hours may still be going on at `now`: the hours are
/// open, or closed less than [`CALL_OVERRUN_MINUTES`] ago.
pub fn call_may_continue(
    policy: &ContactPolicy,
    zones: &[Tz],
    holidays: &HolidayCalendar,
    now: DateTime<Utc>,
) -> bool {
    let overrun_start = now - Duration::minutes(CALL_OVERRUN_MINUTES);
    hours_close(policy, zones, holidays, now).is_some()
        || hours_close(policy, zones, holidays, overrun_start).is_some_and(|closed| closed <= now)
}

/// Whether a call may start at `now` (the check made again when a handler claims a case).
pub fn may_call_now(
    policy: &ContactPolicy,
    zones: &[Tz],
    holidays: &HolidayCalendar,
    history: &ContactHistory,
    now: DateTime<Utc>,
) -> bool {
    matches!(next_contact(policy, zones, holidays, history, now), NextContact::At { at, .. } if at == now)
}
