//! Checking a password login, with back-off after repeated failures.

use chrono::NaiveDateTime;

use super::{lockout, password, store};
use crate::{
    audit::{self, Actor},
    db::DbConn,
    error::AppError,
};

#[derive(Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Success {
        user_id: i64,
    },
    /// Wrong e-mail or password; deliberately not saying which.
    Rejected,
    Locked {
        until: NaiveDateTime,
    },
}

/// Until when proofs of this account's password from this address are refused, if they are now.
pub(super) fn locked_now(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(store::login_locked_until(conn, user_id, address)?.filter(|until| *until > now))
}

/// Counts a wrong password for this account from this address (at sign-in, or given as the
/// current one when changing it), locking the pair once there are too many: the consecutive
/// failures, and until when it is now locked, if it is.
pub(super) fn count_failure(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
    now: NaiveDateTime,
) -> Result<(i32, Option<NaiveDateTime>), AppError> {
    let failures = store::count_login_failure(conn, user_id, address)?;
    let locked_until = lockout::locked_until_after(failures, now);
    if let Some(until) = locked_until {
        store::lock_login(conn, user_id, address, until)?;
    }
    Ok((failures, locked_until))
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Failed sign-ins one address may make, across all accounts, in [`FAILURE_WINDOW`] before it
/// is turned away: generous for an office behind one address, slow for someone trying many
/// accounts' passwords.
pub const FAILURES_PER_ADDRESS: u32 = 50;
pub const FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// One sign-in attempt from `address`. The password is checked against a hash whatever the
/// account's state (an unknown e-mail against a dummy), so the hashing time says nothing about
/// which accounts exist, are locked or are deactivated.
pub fn attempt(
    conn: &mut DbConn,
    email: &str,
    password_given: &str,
    address: &str,
    now: NaiveDateTime,
) -> Result<LoginOutcome, AppError> {
    let Some(row) = store::login_row(conn, &normalise_email(email))? else {
        password::verify_against_dummy(password_given);
        return Ok(LoginOutcome::Rejected);
    };
    let password_matches = password::verify_password(password_given, &row.password_hash);
    if let Some(until) = locked_now(conn, row.id, address, now)? {
        return Ok(LoginOutcome::Locked { until });
    }
    if !row.active || !password_matches {
        let (failures, locked_until) = count_failure(conn, row.id, address, now)?;
        audit::record(
            conn,
            Actor::User(row.id),
            audit::Entry::new("login_failed", "user", Some(row.id)).detail(format!(
                "consecutive failures from this address: {failures}"
            )),
        )?;
        return Ok(match locked_until {
            Some(until) => LoginOutcome::Locked { until },
            None => LoginOutcome::Rejected,
        });
    }
    store::record_login_success(conn, row.id, address)?;
    audit::record(
        conn,
        Actor::User(row.id),
        audit::Entry::new("login", "user", Some(row.id)),
    )?;
    Ok(LoginOutcome::Success { user_id: row.id })
}
