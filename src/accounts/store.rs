//! Database access for users, clients and API credentials.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::NewUser;
use crate::{
    auth::{session::now, tokens},
    db::{
        portable,
        schema::{api_credentials, clients, users},
        DbConn,
    },
    error::{AppError, AppResult},
};

pub fn client_exists(conn: &mut DbConn, client_id: i64) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(clients::table.find(client_id))).get_result(conn)?)
}

pub fn email_taken(conn: &mut DbConn, email: &str) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)),
    ))
    .get_result(conn)?)
}

pub fn client_name_taken(conn: &mut DbConn, name: &str) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        clients::table.filter(clients::name.eq(name)),
    ))
    .get_result(conn)?)
}

pub fn insert_user(conn: &mut DbConn, new: &NewUser, password_hash: &str) -> AppResult<i64> {
    Ok(portable::get_result(
        diesel::insert_into(users::table)
            .values((
                users::email.eq(new.email.as_str()),
                users::display_name.eq(&new.display_name),
                users::password_hash.eq(password_hash),
                users::role.eq(new.role.as_str()),
                users::client_id.eq(new.client_id),
                users::active.eq(true),
                users::failed_logins.eq(0),
                users::created_at.eq(now()),
            ))
            .returning(users::id),
        conn,
    )?)
}

pub fn set_active(conn: &mut DbConn, user_id: i64, active: bool) -> AppResult<()> {
    let updated = diesel::update(users::table.find(user_id))
        .set(users::active.eq(active))
        .execute(conn)?;
    if updated == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub fn user_id_by_email(conn: &mut DbConn, email: &str) -> AppResult<i64> {
    Ok(users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(users::id)
        .first(conn)?)
}

pub fn insert_client(
    conn: &mut DbConn,
    name: &str,
    contact_email: Option<&str>,
    contact_phone: Option<&str>,
) -> AppResult<i64> {
    Ok(portable::get_result(
        diesel::insert_into(clients::table)
            .values((
                clients::name.eq(name),
                clients::contact_email.eq(contact_email),
                clients::contact_phone.eq(contact_phone),
                clients::active.eq(true),
                clients::created_at.eq(now()),
            ))
            .returning(clients::id),
        conn,
    )?)
}

pub enum CredentialOwner {
    Client(i64),
    User(i64),
}

pub fn insert_credential(
    conn: &mut DbConn,
    owner: CredentialOwner,
    label: &str,
    token: &str,
) -> AppResult<i64> {
    let (kind, client_id, user_id) = match owner {
        CredentialOwner::Client(id) => ("client_key", Some(id), None),
        CredentialOwner::User(id) => ("personal_token", None, Some(id)),
    };
    Ok(portable::get_result(
        diesel::insert_into(api_credentials::table)
            .values((
                api_credentials::kind.eq(kind),
                api_credentials::client_id.eq(client_id),
                api_credentials::user_id.eq(user_id),
                api_credentials::label.eq(label),
                api_credentials::prefix.eq(tokens::display_prefix(token)),
                api_credentials::token_hash.eq(tokens::hash_token(token)),
                api_credentials::created_at.eq(now()),
            ))
            .returning(api_credentials::id),
        conn,
    )?)
}

/// Revokes every personal API token a user has.
pub fn revoke_tokens_of(
    conn: &mut DbConn,
    user_id: i64,
    now: chrono::NaiveDateTime,
) -> AppResult<usize> {
    Ok(
        diesel::update(api_credentials::table.filter(api_credentials::user_id.eq(user_id)))
            .filter(api_credentials::revoked_at.is_null())
            .set(api_credentials::revoked_at.eq(now))
            .execute(conn)?,
    )
}

/// Revokes a credential; returns its client (if a client key) for the audit entry.
pub fn revoke_credential(conn: &mut DbConn, credential_id: i64) -> AppResult<Option<i64>> {
    let client_id: Option<i64> = api_credentials::table
        .find(credential_id)
        .select(api_credentials::client_id)
        .first(conn)?;
    diesel::update(api_credentials::table.find(credential_id))
        .filter(api_credentials::revoked_at.is_null())
        .set(api_credentials::revoked_at.eq(now()))
        .execute(conn)?;
    Ok(client_id)
}

#[derive(Queryable, Serialize, Debug)]
pub struct UserListItem {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub client_id: Option<i64>,
    pub active: bool,
    pub locked_until: Option<NaiveDateTime>,
    pub client_name: Option<String>,
}

/// Every account; `locked_until` only while a sign-in lock still applies.
pub fn list_users(conn: &mut DbConn) -> AppResult<Vec<UserListItem>> {
    let mut users: Vec<UserListItem> = users::table
        .left_join(clients::table)
        .order(users::email.asc())
        .select((
            users::id,
            users::email,
            users::display_name,
            users::role,
            users::client_id,
            users::active,
            users::locked_until,
            clients::name.nullable(),
        ))
        .load(conn)?;
    let now = chrono::Utc::now().naive_utc();
    for user in &mut users {
        user.locked_until = user.locked_until.filter(|until| *until > now);
    }
    Ok(users)
}

#[derive(Queryable, Serialize, Debug, Clone)]
pub struct ClientRow {
    pub id: i64,
    pub name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn list_clients(conn: &mut DbConn) -> AppResult<Vec<ClientRow>> {
    Ok(clients::table
        .order(clients::name.asc())
        .select((
            clients::id,
            clients::name,
            clients::contact_email,
            clients::contact_phone,
            clients::active,
            clients::created_at,
        ))
        .load(conn)?)
}

pub fn client(conn: &mut DbConn, client_id: i64) -> AppResult<ClientRow> {
    Ok(clients::table
        .find(client_id)
        .select((
            clients::id,
            clients::name,
            clients::contact_email,
            clients::contact_phone,
            clients::active,
            clients::created_at,
        ))
        .first(conn)?)
}

/// How customers reach a client, as e-mails and customer pages show it.
#[derive(Serialize, Debug)]
pub struct ClientContact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Days a client keeps closed cases before they are erased; `None` keeps them until asked.
pub fn retention_days(conn: &mut DbConn, client_id: i64) -> AppResult<Option<i32>> {
    Ok(clients::table
        .find(client_id)
        .select(clients::retention_days)
        .first(conn)?)
}

pub fn set_retention_days(conn: &mut DbConn, client_id: i64, days: Option<i32>) -> AppResult<()> {
    diesel::update(clients::table.find(client_id))
        .set(clients::retention_days.eq(days))
        .execute(conn)?;
    Ok(())
}

pub fn client_contact(conn: &mut DbConn, client_id: i64) -> AppResult<ClientContact> {
    let row = client(conn, client_id)?;
    Ok(ClientContact {
        name: row.name,
        email: row.contact_email,
        phone: row.contact_phone,
    })
}

#[derive(Queryable, Serialize, Debug)]
pub struct CredentialListItem {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

const CREDENTIAL_COLUMNS: (
    api_credentials::id,
    api_credentials::label,
    api_credentials::prefix,
    api_credentials::created_at,
    api_credentials::revoked_at,
    api_credentials::last_used_at,
) = (
    api_credentials::id,
    api_credentials::label,
    api_credentials::prefix,
    api_credentials::created_at,
    api_credentials::revoked_at,
    api_credentials::last_used_at,
);

pub fn client_keys(conn: &mut DbConn, client_id: i64) -> AppResult<Vec<CredentialListItem>> {
    Ok(api_credentials::table
        .filter(api_credentials::client_id.eq(client_id))
        .order(api_credentials::id.desc())
        .select(CREDENTIAL_COLUMNS)
        .load(conn)?)
}

/// A personal API token, with whose it is (for the users page, where it can be revoked).
#[derive(Queryable, Serialize, Debug)]
pub struct PersonalTokenItem {
    pub owner: String,
    #[diesel(embed)]
    pub credential: CredentialListItem,
}

/// Every personal token, newest first.
pub fn personal_tokens(conn: &mut DbConn) -> AppResult<Vec<PersonalTokenItem>> {
    Ok(api_credentials::table
        .inner_join(users::table.on(api_credentials::user_id.eq(users::id.nullable())))
        .order(api_credentials::id.desc())
        .select((users::email, CREDENTIAL_COLUMNS))
        .load(conn)?)
}
