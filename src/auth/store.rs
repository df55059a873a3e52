//! Database access for logins, sessions and API credentials.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{api::Principal, roles::Role, session::CurrentUser};
use crate::{
    db::{
        schema::{api_credentials, login_failures, sessions, users},
        DbConn,
    },
    error::AppError,
};

type UserColumns = (
    users::id,
    users::email,
    users::display_name,
    users::role,
    users::client_id,
);
const USER_COLUMNS: UserColumns = (
    users::id,
    users::email,
    users::display_name,
    users::role,
    users::client_id,
);

type UserTuple = (i64, String, String, String, Option<i64>);

fn to_current_user(
    (id, email, display_name, role, client_id): UserTuple,
) -> Result<CurrentUser, AppError> {
    let role = role
        .parse::<Role>()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("user {id} has a bad role: {e}")))?;
    Ok(CurrentUser {
        id,
        email,
        display_name,
        role,
        client_id,
    })
}

pub fn user_for_session(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<CurrentUser>, AppError> {
    let row: Option<UserTuple> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select(USER_COLUMNS)
        .first(conn)
        .optional()?;
    row.map(to_current_user).transpose()
}

pub fn create_session(
    conn: &mut DbConn,
    user_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    // Expired sessions are dead weight; clearing this user's on login keeps the table small.
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)))
        .filter(sessions::expires_at.le(now))
        .execute(conn)?;
    Ok(())
}

pub fn delete_session(conn: &mut DbConn, token_hash: &str) -> Result<(), AppError> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)?;
    Ok(())
}

pub fn delete_sessions_of(conn: &mut DbConn, user_id: i64) -> Result<(), AppError> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

#[derive(Queryable, Debug)]
pub struct LoginRow {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

pub fn login_row(conn: &mut DbConn, email: &str) -> Result<Option<LoginRow>, AppError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select((users::id, users::password_hash, users::active))
        .first(conn)
        .optional()?)
}

/// Until when sign-ins to this account from this address are locked, if they are.
pub fn login_locked_until(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(login_failures::table
        .find((user_id, address))
        .select(login_failures::locked_until)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}

/// Counts one more failed sign-in to this account from this address and returns the count.
/// The increment is one statement, so guesses sent in parallel each count (reading the count
/// and writing it back let them all see the same number, and the lockout never came).
pub fn count_login_failure(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
) -> Result<i32, AppError> {
    let counted = diesel::insert_into(login_failures::table)
        .values((
            login_failures::user_id.eq(user_id),
            login_failures::address.eq(address),
            login_failures::failures.eq(1),
        ))
        .on_conflict((login_failures::user_id, login_failures::address))
        .do_update()
        .set(login_failures::failures.eq(login_failures::failures + 1))
        .returning(login_failures::failures);
    Ok(crate::db::portable::get_result(counted, conn)?)
}

/// Locks sign-ins to this account from this address; the account shows its latest lock to
/// administrators.
pub fn lock_login(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
    locked_until: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(login_failures::table.find((user_id, address)))
        .set(login_failures::locked_until.eq(locked_until))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::locked_until.eq(locked_until))
        .execute(conn)?;
    Ok(())
}

/// A sign-in succeeded: this address starts afresh on this account.
pub fn record_login_success(
    conn: &mut DbConn,
    user_id: i64,
    address: &str,
) -> Result<(), AppError> {
    diesel::delete(login_failures::table.find((user_id, address))).execute(conn)?;
    Ok(())
}

/// (credential id, client id, user id, last used)
type CredentialOwnerRow = (i64, Option<i64>, Option<i64>, Option<NaiveDateTime>);

/// Resolves bearer tokens' hashes to who holds them, in one round trip: the credentials and, for
/// personal tokens, their (active) owners. Revoked credentials and inactive users resolve to
/// nobody, and are left out.
pub fn principals_for_tokens(
    conn: &mut DbConn,
    token_hashes: &[String],
) -> Result<HashMap<String, Principal>, AppError> {
    if token_hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(String, CredentialOwnerRow, Option<UserTuple>)> = api_credentials::table
        .left_join(
            users::table.on(users::id
                .nullable()
                .eq(api_credentials::user_id)
                .and(users::active.eq(true))),
        )
        .filter(api_credentials::token_hash.eq_any(token_hashes))
        .filter(api_credentials::revoked_at.is_null())
        .select((
            api_credentials::token_hash,
            (
                api_credentials::id,
                api_credentials::client_id,
                api_credentials::user_id,
                api_credentials::last_used_at,
            ),
            USER_COLUMNS.nullable(),
        ))
        .load(conn)?;
    let mut principals = HashMap::with_capacity(found.len());
    for (hash, (credential_id, client_id, user_id, last_used_at), user) in found {
        touch_credential(conn, credential_id, last_used_at)?;
        let principal = match (client_id, user_id, user) {
            (Some(client_id), None, _) => Principal::Client {
                credential_id,
                client_id,
            },
            (None, Some(_), Some(user)) => Principal::Staff {
                credential_id,
                user: to_current_user(user)?,
            },
            _ => continue,
        };
        principals.insert(hash, principal);
    }
    Ok(principals)
}

/// Marks a credential used, at most once a minute so busy integrations do not write on every call.
fn touch_credential(
    conn: &mut DbConn,
    credential_id: i64,
    last_used_at: Option<NaiveDateTime>,
) -> Result<(), AppError> {
    let now = super::session::now();
    if last_used_at.is_some_and(|t| now - t < Duration::minutes(1)) {
        return Ok(());
    }
    diesel::update(api_credentials::table.find(credential_id))
        .set(api_credentials::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn user_role(conn: &mut DbConn, user_id: i64) -> Result<Role, AppError> {
    let role: String = users::table.find(user_id).select(users::role).first(conn)?;
    role.parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!("user {user_id}: {e}")))
}
