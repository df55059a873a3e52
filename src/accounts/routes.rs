//! Admin pages: users, clients, API keys and personal tokens, and the audit trail.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{store, NewUser};
use crate::{
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Admin,
        Role,
    },
    db,
    error::{AppError, AppResult, FieldErrors},
    state::AppState,
    web::{redirect, Page},
};

/// Splits a validation failure (shown on the form) from every other error (the error page).
pub fn validation_fields(err: AppError) -> Result<(String, FieldErrors), AppError> {
    match err {
        AppError::Validation { message, fields } => Ok((message, fields)),
        other => Err(other),
    }
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    client_id: String,
}

async fn users_page(
    state: &AppState,
    admin: &Admin,
    csrf: &CsrfToken,
    form: &UserForm,
    errors: Option<(String, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let (users, clients, tokens) = db::run(&state.pool, |conn| {
        Ok((
            store::list_users(conn)?,
            store::list_clients(conn)?,
            store::personal_tokens(conn)?,
        ))
    })
    .await?;
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let page = Page::new("admin/users.html", csrf, Some(&admin.user))
        .with("users", &users)
        .with("tokens", &tokens)
        .with("clients", &clients)
        .with("roles", &roles)
        .with_form(form);
    page.with_errors(errors).render(state)
}

#[get("/admin/users")]
async fn list_users(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    users_page(&state, &admin, &csrf, &UserForm::default(), None).await
}

#[post("/admin/users")]
async fn create_user(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let client_id = match form.client_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let err = AppError::field("client_id", "choose a client from the list");
                return users_page(&state, &admin, &csrf, &form, Some(validation_fields(err)?))
                    .await;
            }
        },
    };
    let actor = admin.actor();
    let (email, name, role) = (
        form.email.clone(),
        form.display_name.clone(),
        form.role.clone(),
    );
    let created = db::run(&state.pool, move |conn| {
        let new = NewUser::parse(&email, &name, &role, client_id)?;
        let email = new.email.to_string();
        db::write_transaction(conn, |conn| super::create_user(conn, actor, new))
            .map(|(_, password)| (email, password))
    })
    .await;
    match created {
        Ok((email, password)) => Page::new("admin/secret.html", &csrf, Some(&admin.user))
            .with("title", "Account created")
            .with("what", &format!("The password for {email}"))
            .with("secret", &password)
            .with("back", "/admin/users")
            .render(&state),
        Err(err) => users_page(&state, &admin, &csrf, &form, Some(validation_fields(err)?)).await,
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

#[post("/admin/users/{id}/active")]
async fn set_active(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> AppResult<HttpResponse> {
    let user_id = path.into_inner();
    let active = form.active == "true";
    let (actor, now) = (admin.actor(), state.clock.now_naive());
    db::run_write(&state.pool, move |conn| {
        super::set_user_active(conn, actor, user_id, active, now)
    })
    .await?;
    state.credentials.clear();
    Ok(redirect("/admin/users"))
}

#[derive(Deserialize)]
pub struct LabelForm {
    #[serde(default)]
    label: String,
}

#[post("/admin/users/{id}/tokens")]
async fn issue_token(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let user_id = path.into_inner();
    let actor = admin.actor();
    let (_, token) = db::run_write(&state.pool, move |conn| {
        super::issue_personal_token(conn, actor, user_id, &form.label)
    })
    .await?;
    Page::new("admin/secret.html", &csrf, Some(&admin.user))
        .with("title", "Personal API token issued")
        .with("what", "The personal API token")
        .with("secret", &token)
        .with("back", "/admin/users")
        .render(&state)
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
}

async fn clients_page(
    state: &AppState,
    admin: &Admin,
    csrf: &CsrfToken,
    form: &ClientForm,
    errors: Option<(String, FieldErrors)>,
) -> AppResult<HttpResponse> {
    let clients = db::run(&state.pool, store::list_clients).await?;
    let page = Page::new("admin/clients.html", csrf, Some(&admin.user))
        .with("clients", &clients)
        .with_form(form);
    page.with_errors(errors).render(state)
}

#[get("/admin/clients")]
async fn list_clients(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    clients_page(&state, &admin, &csrf, &ClientForm::default(), None).await
}

#[post("/admin/clients")]
async fn create_client(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ClientForm>,
) -> AppResult<HttpResponse> {
    let actor = admin.actor();
    let (name, email, phone) = (
        form.name.clone(),
        form.contact_email.clone(),
        form.contact_phone.clone(),
    );
    let created = db::run_write(&state.pool, move |conn| {
        super::create_client(conn, actor, &name, Some(&email), Some(&phone))
    })
    .await;
    match created {
        Ok(id) => Ok(redirect(&format!("/admin/clients/{id}"))),
        Err(err) => clients_page(&state, &admin, &csrf, &form, Some(validation_fields(err)?)).await,
    }
}

#[get("/admin/clients/{id}")]
async fn show_client(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let client_id = path.into_inner();
    let (client, keys) = db::run(&state.pool, move |conn| {
        Ok((
            store::client(conn, client_id)?,
            store::client_keys(conn, client_id)?,
        ))
    })
    .await?;
    Page::new("admin/client.html", &csrf, Some(&admin.user))
        .with("client", &client)
        .with("keys", &keys)
        .render(&state)
}

#[post("/admin/clients/{id}/api-keys")]
async fn issue_key(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<LabelForm>,
) -> AppResult<HttpResponse> {
    let client_id = path.into_inner();
    let actor = admin.actor();
    let (_, key) = db::run_write(&state.pool, move |conn| {
        super::issue_client_key(conn, actor, client_id, &form.label)
    })
    .await?;
    Page::new("admin/secret.html", &csrf, Some(&admin.user))
        .with("title", "API key issued")
        .with("what", "The client's API key")
        .with("secret", &key)
        .with("back", &format!("/admin/clients/{client_id}"))
        .render(&state)
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    back: String,
}

#[post("/admin/credentials/{id}/revoke")]
async fn revoke(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> AppResult<HttpResponse> {
    let credential_id = path.into_inner();
    let actor = admin.actor();
    db::run_write(&state.pool, move |conn| {
        super::revoke_credential(conn, actor, credential_id)
    })
    .await?;
    state.credentials.clear();
    let back = if form.back.starts_with("/admin/") {
        form.back
    } else {
        "/admin/clients".into()
    };
    Ok(redirect(&back))
}

/// Entries on one page of the audit log.
const AUDIT_PAGE: i64 = 200;

#[get("/admin/audit")]
async fn audit_log(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    query: web::Query<crate::audit::AuditQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let searched = query.clone();
    let entries = db::run(&state.pool, move |conn| {
        crate::audit::search(conn, &searched, AUDIT_PAGE)
    })
    .await?;
    // A full page may have older entries behind it: the same search, from before its last.
    let older = (entries.len() as i64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten()
        .map(|last| crate::audit::AuditQuery {
            before: last.to_string(),
            ..query.clone()
        })
        .and_then(|next| serde_urlencoded::to_string(next).ok());
    Page::new("admin/audit.html", &csrf, Some(&admin.user))
        .with("entries", &entries)
        .with("query", &query)
        .with("older", &older)
        .render(&state)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(set_active)
        .service(issue_token)
        .service(list_clients)
        .service(create_client)
        .service(show_client)
        .service(issue_key)
        .service(revoke)
        .service(audit_log);
}
