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

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn attempt(
    conn: &mut DbConn,
    email: &str,
    password_given: &str,
    now: NaiveDateTime,
) -> Result<LoginOutcome, AppError> {
    let Some(row) = store::login_row(conn, &normalise_email(email))? else {
        password::verify_against_dummy(password_given);
        return Ok(LoginOutcome::Rejected);
    };
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        return Ok(LoginOutcome::Locked { until });
    }
    if !row.active || !password::verify_password(password_given, &row.password_hash) {
        let failures = store::count_login_failure(conn, row.id)?;
        let locked_until = lockout::locked_until_after(failures, now);
        if let Some(until) = locked_until {
            store::lock_login(conn, row.id, until)?;
        }
        audit::record(
            conn,
            Actor::User(row.id),
            audit::Entry::new("login_failed", "user", Some(row.id))
                .detail(format!("consecutive failures: {failures}")),
        )?;
        return Ok(match locked_until {
            Some(until) => LoginOutcome::Locked { until },
            None => LoginOutcome::Rejected,
        });
    }
    store::record_login_success(conn, row.id)?;
    audit::record(
        conn,
        Actor::User(row.id),
        audit::Entry::new("login", "user", Some(row.id)),
    )?;
    Ok(LoginOutcome::Success { user_id: row.id })
}
