//! The audit log: one function every capability calls to record who did what to which record.

use diesel::prelude::*;

use crate::{
    db::{schema::audit_log, DbConn},
    error::AppError,
};

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    User(i64),
    ApiKey(i64),
    PersonalToken(i64),
    /// A customer acting through an e-mailed link.
    Customer,
    /// An operator at the command line.
    Cli,
    /// The service itself (workers, scheduled jobs).
    System,
}

impl Actor {
    pub fn label(self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::ApiKey(id) => format!("api_key:{id}"),
            Actor::PersonalToken(id) => format!("token:{id}"),
            Actor::Customer => "customer".into(),
            Actor::Cli => "cli".into(),
            Actor::System => "system".into(),
        }
    }

    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::User(id) => Some(id),
            _ => None,
        }
    }
}

/// One audit entry. `detail` says what changed in words; it must never carry secrets.
pub struct Entry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    /// The client whose data this is, so client-facing views can be scoped.
    pub client_id: Option<i64>,
    pub detail: String,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, entity: &'a str, entity_id: Option<i64>) -> Self {
        Entry {
            action,
            entity,
            entity_id,
            client_id: None,
            detail: String::new(),
        }
    }

    /// An entry about a client itself (its settings, its imports, its portal), scoped to it.
    pub fn for_client(action: &'a str, client_id: i64) -> Self {
        Entry::new(action, "client", Some(client_id)).client(Some(client_id))
    }

    pub fn client(mut self, client_id: Option<i64>) -> Self {
        self.client_id = client_id;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// Records an entry, on the caller's connection so it commits or rolls back with the change.
pub fn record(conn: &mut DbConn, actor: Actor, entry: Entry<'_>) -> Result<(), AppError> {
    // A view audited outside any transaction (a page that only reads) would, on SQLite, poll
    // for the write lock instead of taking its turn with the other writers: behind an import
    // storing chunk after chunk, the page could fail with "database is locked".
    if crate::db::sqlite_outside_transaction(conn) {
        return crate::db::write_transaction(conn, |conn| insert(conn, actor, entry));
    }
    insert(conn, actor, entry)
}

fn insert(conn: &mut DbConn, actor: Actor, entry: Entry<'_>) -> Result<(), AppError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::occurred_at.eq(chrono::Utc::now().naive_utc()),
            audit_log::actor.eq(actor.label()),
            audit_log::actor_user_id.eq(actor.user_id()),
            audit_log::action.eq(entry.action),
            audit_log::entity.eq(entry.entity),
            audit_log::entity_id.eq(entry.entity_id),
            audit_log::client_id.eq(entry.client_id),
            audit_log::detail.eq(entry.detail),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Debug, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub actor: String,
    /// The staff member's e-mail address, when a person acted.
    pub who: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub detail: String,
}

/// What an admin looks for in the trail (each part empty matches everything), newest first,
/// from before the entry `before` when paging back.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub entity_id: String,
    /// A staff member's e-mail address.
    #[serde(default)]
    pub who: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub before: String,
}

/// The newest `limit` entries matching `query`. A part that is not a number where one is
/// needed (an id) matches nothing rather than everything.
pub fn search(
    conn: &mut DbConn,
    query: &AuditQuery,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    use crate::db::schema::users;
    let number = |text: &str| text.trim().parse::<i64>().unwrap_or(-1);
    let mut found = audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_user_id)))
        .select((
            audit_log::id,
            audit_log::occurred_at,
            audit_log::actor,
            users::email.nullable(),
            audit_log::action,
            audit_log::entity,
            audit_log::entity_id,
            audit_log::detail,
        ))
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if !query.action.trim().is_empty() {
        found = found.filter(audit_log::action.eq(query.action.trim().to_string()));
    }
    if !query.entity.trim().is_empty() {
        found = found.filter(audit_log::entity.eq(query.entity.trim().to_string()));
    }
    if !query.entity_id.trim().is_empty() {
        found = found.filter(audit_log::entity_id.eq(number(&query.entity_id)));
    }
    if !query.who.trim().is_empty() {
        found = found.filter(users::email.eq(query.who.trim().to_lowercase()));
    }
    if !query.before.trim().is_empty() {
        found = found.filter(audit_log::id.lt(number(&query.before)));
    }
    Ok(found.load(conn)?)
}

/// Records that a page showed these cases' details in a list (an overview of escalations,
/// exceptions or plan answers): case access is audited, lists included. Nothing when the list
/// showed no case.
pub fn cases_listed(
    conn: &mut DbConn,
    actor: Actor,
    page: &str,
    case_ids: impl IntoIterator<Item = i64>,
) -> Result<(), AppError> {
    let mut ids: Vec<i64> = case_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
    record(
        conn,
        actor,
        Entry::new("cases_listed", "page", None)
            .detail(format!("{page}: cases {}", listed.join(", "))),
    )
}
