//! Server-rendered pages: the page builder every page handler uses, redirects, the HTML error
//! page, and the files served as they are (stylesheet, the call page's script).

pub mod errors;
pub mod headers;

use actix_web::{http::header, HttpResponse};
use serde::Serialize;

use crate::{
    auth::{csrf::CsrfToken, CurrentUser},
    error::{AppError, AppResult},
    state::AppState,
};

/// Loads the templates with autoescaping on for HTML (Tera's default, stated here so it stays).
pub fn load_templates() -> anyhow::Result<tera::Tera> {
    let built_in = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let dir = std::env::var("OUTREACH_TEMPLATES_DIR")
        .ok()
        .filter(|dir| !dir.trim().is_empty())
        .unwrap_or_else(|| {
            if std::path::Path::new(built_in).is_dir() {
                built_in.to_string()
            } else {
                "templates".to_string()
            }
        });
    load_templates_from(&dir)
}

/// The templates in `dir`, refused unless the ones every page and e-mail needs are there: a glob
/// that matches nothing loads no templates at all, and the service would start, answer every
/// page with an error and give up on every e-mail.
fn load_templates_from(dir: &str) -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::new(&format!("{dir}/**/*"))
        .map_err(|e| anyhow::anyhow!("loading templates from {dir}: {e}"))?;
    tera.autoescape_on(vec![".html"]);
    let loaded: std::collections::HashSet<&str> = tera.get_template_names().collect();
    use crate::mail::render::{template_name, PARTS};
    let emails = crate::mail::outbox::kind::ALL
        .into_iter()
        .flat_map(|kind| PARTS.map(|part| template_name(kind, part)));
    let missing: Vec<String> = ["base.html", "error.html", "login.html"]
        .map(String::from)
        .into_iter()
        .chain(emails)
        .filter(|name| !loaded.contains(name.as_str()))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "the templates in {dir} are missing {} (OUTREACH_TEMPLATES_DIR names the folder)",
            missing.join(", ")
        );
    }
    Ok(tera)
}

/// A page to render: template, the signed-in user (if any) and the CSRF token for its forms.
pub struct Page {
    template: &'static str,
    context: tera::Context,
    status: actix_web::http::StatusCode,
}

impl Page {
    pub fn new(template: &'static str, csrf: &CsrfToken, user: Option<&CurrentUser>) -> Self {
        let mut context = tera::Context::new();
        context.insert("csrf_token", &csrf.0);
        context.insert("user", &user);
        Page {
            template,
            context,
            status: actix_web::http::StatusCode::OK,
        }
    }

    pub fn with<T: Serialize + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.context.insert(key, value);
        self
    }

    /// Answers with `status` instead of 200 (a page explaining a refusal).
    pub fn status(mut self, status: actix_web::http::StatusCode) -> Self {
        self.status = status;
        self
    }

    /// A refused form's fields as `form`, to show again beside the messages; text holding
    /// payment data is masked ([`crate::payment_guard::form_shown_back`]).
    pub fn with_form(self, form: &impl Serialize) -> Self {
        self.with("form", &crate::payment_guard::form_shown_back(form))
    }

    /// Shows a failed form's message and field errors (as `error` and `errors`), answering 422.
    pub fn with_errors(mut self, errors: Option<(String, crate::error::FieldErrors)>) -> Self {
        if let Some((message, fields)) = errors {
            self.context.insert("error", &message);
            self.context.insert("errors", &fields);
            self.status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        self
    }

    pub fn render(self, state: &AppState) -> AppResult<HttpResponse> {
        let html = render_html(state, self.template, &self.context)?;
        Ok(HttpResponse::build(self.status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html))
    }
}

pub fn render_html(state: &AppState, template: &str, context: &tera::Context) -> AppResult<String> {
    state
        .templates
        .render(template, context)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {template}: {e:?}")))
}

/// Whether a page route's caller asked for JSON (a page's own script), not for a page.
pub fn wants_json(request: &actix_web::HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.starts_with("application/json"))
}

/// 303 See Other: after a form post, the browser fetches the target with GET.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

const STYLESHEET: &str = include_str!("../../templates/static/app.css");
const KEEP_CALL_SCRIPT: &str = include_str!("../../templates/static/keep-call.js");
const FORM_ERRORS_SCRIPT: &str = include_str!("../../templates/static/form-errors.js");

/// A file built into the service, cached by browsers for an hour.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The call page's script that keeps the handler's claim while the page is open.
pub async fn keep_call_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", KEEP_CALL_SCRIPT)
}

/// Every page's script that takes a refused form's reader to its mistakes.
pub async fn form_errors_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", FORM_ERRORS_SCRIPT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_templates_folder_without_the_pages_and_e_mails_is_refused() {
        let empty = tempfile::tempdir().unwrap();
        let error = super::load_templates_from(&empty.path().display().to_string())
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("base.html") && error.contains("emails/plan_confirmation/body.html"),
            "{error}"
        );
        let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        assert!(super::load_templates_from(shipped).is_ok());
    }
}
