//! Back-off after failed logins: a pure rule, so the numbers are tested without a database.

use chrono::{Duration, NaiveDateTime};

/// Failures allowed before the account is locked.
pub const FREE_ATTEMPTS: i32 = 5;

/// After the `failures`-th consecutive failure, until when the account is locked (if at all).
/// Locks start at 1 minute and double per further failure, capped at one hour.
pub fn locked_until_after(failures: i32, now: NaiveDateTime) -> Option<NaiveDateTime> {
    if failures < FREE_ATTEMPTS {
        return None;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(6) as u32;
    let minutes = (1i64 << doublings).min(60);
    Some(now + Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    #[test]
    fn first_failures_do_not_lock() {
        for n in 0..FREE_ATTEMPTS {
            assert_eq!(locked_until_after(n, now()), None);
        }
    }

    #[test]
    fn lock_doubles_and_is_capped() {
        assert_eq!(
            locked_until_after(5, now()),
            Some(now() + Duration::minutes(1))
        );
        assert_eq!(
            locked_until_after(6, now()),
            Some(now() + Duration::minutes(2))
        );
        assert_eq!(
            locked_until_after(8, now()),
            Some(now() + Duration::minutes(8))
        );
        assert_eq!(
            locked_until_after(50, now()),
            Some(now() + Duration::minutes(60))
        );
    }
}
