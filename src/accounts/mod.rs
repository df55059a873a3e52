//! Users, clients and API credentials: what admins manage (web pages and the command line call
//! the same functions here).

pub mod routes;
pub mod store;

use crate::{
    audit::{self, Actor},
    auth::{api, password, tokens, Role},
    db::DbConn,
    domain::Email,
    error::{AppError, AppResult, FieldErrors},
};

/// A user about to be created, already checked.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub client_id: Option<i64>,
}

impl NewUser {
    pub fn parse(
        email: &str,
        display_name: &str,
        role: &str,
        client_id: Option<i64>,
    ) -> AppResult<NewUser> {
        let mut fields = FieldErrors::new();
        let email = Email::parse(email)
            .map_err(|e| fields.insert("email".into(), vec![e]))
            .ok();
        let role = (!role.trim().is_empty())
            .then_some(role)
            .ok_or_else(|| "Choose a role".to_string())
            .and_then(str::parse::<Role>)
            .map_err(|e| fields.insert("role".into(), vec![e]))
            .ok();
        let display_name = display_name.trim().to_string();
        if display_name.chars().count() > 100 {
            fields.insert(
                "display_name".into(),
                vec!["must be at most 100 characters".into()],
            );
        }
        fields.extend(crate::payment_guard::check_fields([(
            "display_name",
            Some(display_name.as_str()),
        )]));
        match (role, client_id) {
            (Some(Role::Client), None) => {
                fields.insert(
                    "client_id".into(),
                    vec!["a client user must belong to a client".into()],
                );
            }
            (Some(r), Some(_)) if r != Role::Client => {
                fields.insert(
                    "client_id".into(),
                    vec!["only client users belong to a client".into()],
                );
            }
            _ => {}
        }
        match (email, role) {
            (Some(email), Some(role)) if fields.is_empty() => {
                let display_name = if display_name.is_empty() {
                    email
                        .as_str()
                        .split('@')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                } else {
                    display_name
                };
                Ok(NewUser {
                    email,
                    display_name,
                    role,
                    client_id,
                })
            }
            _ => Err(AppError::fields(fields)),
        }
    }
}

/// Creates a user with a generated password, returned once for the creator to pass on.
pub fn create_user(conn: &mut DbConn, actor: Actor, new: NewUser) -> AppResult<(i64, String)> {
    let password = password::generate_password();
    let id = create_user_with_password(conn, actor, new, &password)?;
    Ok((id, password))
}

pub fn create_user_with_password(
    conn: &mut DbConn,
    actor: Actor,
    new: NewUser,
    password: &str,
) -> AppResult<i64> {
    if let Some(client_id) = new.client_id {
        if !store::client_exists(conn, client_id)? {
            return Err(AppError::field("client_id", "no such client"));
        }
    }
    if store::email_taken(conn, new.email.as_str())? {
        return Err(AppError::field(
            "email",
            "an account with this e-mail address already exists",
        ));
    }
    let hash = password::hash_password(password)?;
    let id = store::insert_user(conn, &new, &hash)?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("user_created", "user", Some(id))
            .client(new.client_id)
            .detail(format!("{} as {}", new.email, new.role)),
    )?;
    Ok(id)
}

/// Turns a user's access on or off. Off ends it everywhere at once: their sessions, their
/// personal API tokens for good (turned on again, they get new ones: an old token may sit in a
/// system nobody remembers), and a call they hold, which goes back through the path of a claim
/// that ran out (they may have rung the customer) instead of waiting out its lease.
pub fn set_user_active(
    conn: &mut DbConn,
    actor: Actor,
    user_id: i64,
    active: bool,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    if actor == Actor::User(user_id) && !active {
        return Err(AppError::bad_request(
            "You cannot deactivate your own account.",
        ));
    }
    store::set_active(conn, user_id, active)?;
    if !active {
        crate::auth::store::delete_sessions_of(conn, user_id)?;
        store::revoke_tokens_of(conn, user_id, now)?;
        crate::queue::store::end_claims_of(conn, user_id, now)?;
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new(
            if active {
                "user_activated"
            } else {
                "user_deactivated"
            },
            "user",
            Some(user_id),
        ),
    )
}

pub fn create_client(
    conn: &mut DbConn,
    actor: Actor,
    name: &str,
    contact_email: Option<&str>,
    contact_phone: Option<&str>,
) -> AppResult<i64> {
    let mut fields = FieldErrors::new();
    let name = name.trim();
    if name.is_empty() {
        fields.insert("name".into(), vec!["is required".into()]);
    } else if name.chars().count() > 200 {
        fields.insert("name".into(), vec!["must be at most 200 characters".into()]);
    }
    fields.extend(crate::payment_guard::check_fields([("name", Some(name))]));
    let contact_email = match contact_email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(raw) => match Email::parse(raw) {
            Ok(email) => Some(email),
            Err(e) => {
                fields.insert("contact_email".into(), vec![e]);
                None
            }
        },
        None => None,
    };
    let phone = contact_phone.map(str::trim).filter(|p| !p.is_empty());
    if let Some(Err(message)) =
        phone.map(|p| crate::payment_guard::check_text(p, crate::payment_guard::PHONE_MAX_CHARS))
    {
        fields.insert("contact_phone".into(), vec![message]);
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    if store::client_name_taken(conn, name)? {
        return Err(AppError::field(
            "name",
            "a client with this name already exists",
        ));
    }
    let id = store::insert_client(conn, name, contact_email.as_ref().map(Email::as_str), phone)?;
    audit::record(
        conn,
        actor,
        audit::Entry::for_client("client_created", id).detail(name),
    )?;
    Ok(id)
}

/// Issues an API key for a client; the key is returned once and only its hash is kept.
pub fn issue_client_key(
    conn: &mut DbConn,
    actor: Actor,
    client_id: i64,
    label: &str,
) -> AppResult<(i64, String)> {
    if !store::client_exists(conn, client_id)? {
        return Err(AppError::NotFound);
    }
    let token = tokens::new_token(api::CLIENT_KEY_PREFIX);
    let label = label_or(label, "API key")?;
    let id = store::insert_credential(
        conn,
        store::CredentialOwner::Client(client_id),
        &label,
        &token,
    )?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("api_key_issued", "api_credential", Some(id))
            .client(Some(client_id))
            .detail(label),
    )?;
    Ok((id, token))
}

/// Issues a personal API token for a handler or supervisor (e.g. for a telephony system).
pub fn issue_personal_token(
    conn: &mut DbConn,
    actor: Actor,
    user_id: i64,
    label: &str,
) -> AppResult<(i64, String)> {
    let role = crate::auth::store::user_role(conn, user_id)?;
    if !matches!(role, Role::Handler | Role::Supervisor) {
        return Err(AppError::bad_request(
            "Personal tokens are for handlers and supervisors.",
        ));
    }
    let token = tokens::new_token(api::PERSONAL_TOKEN_PREFIX);
    let label = label_or(label, "Personal token")?;
    let id = store::insert_credential(conn, store::CredentialOwner::User(user_id), &label, &token)?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("token_issued", "api_credential", Some(id))
            .detail(format!("for user {user_id}: {label}")),
    )?;
    Ok((id, token))
}

pub fn revoke_credential(conn: &mut DbConn, actor: Actor, credential_id: i64) -> AppResult<()> {
    let client_id = store::revoke_credential(conn, credential_id)?;
    audit::record(
        conn,
        actor,
        audit::Entry::new("credential_revoked", "api_credential", Some(credential_id))
            .client(client_id),
    )
}

/// A credential's label as given (at most 100 characters), or `default` when blank.
fn label_or(value: &str, default: &str) -> AppResult<String> {
    let trimmed = value.trim();
    crate::payment_guard::refuse_in("label", trimmed)?;
    Ok(if trimmed.is_empty() {
        default.to_string()
    } else {
        trimmed.chars().take(100).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_users_need_a_client_and_others_must_not_have_one() {
        assert!(NewUser::parse("a@b.org", "A", "client", Some(1)).is_ok());
        let err = NewUser::parse("a@b.org", "A", "client", None).unwrap_err();
        assert!(
            matches!(err, AppError::Validation { ref fields, .. } if fields.contains_key("client_id"))
        );
        assert!(NewUser::parse("a@b.org", "A", "handler", Some(1)).is_err());
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = NewUser::parse("nope", "A", "boss", None).unwrap_err();
        let AppError::Validation { fields, .. } = err else {
            panic!("expected validation")
        };
        assert!(fields.contains_key("email"));
        assert!(fields.contains_key("role"));
    }

    #[test]
    fn display_name_defaults_to_the_mailbox() {
        let user = NewUser::parse("sam.handler@example.org", " ", "handler", None).unwrap();
        assert_eq!(user.display_name, "sam.handler");
    }
}
