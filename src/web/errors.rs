//! Turns errors on page routes into HTML: a login redirect for 401, a friendly page otherwise.
//! `/api/` (and a page's script asking for JSON) keeps the JSON body the error type produced.

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::ServiceResponse,
    http::{header, StatusCode},
    middleware::ErrorHandlerResponse,
    web, HttpResponse,
};

use crate::{error::ErrorInfo, state::AppState};

pub fn html_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let info = res.response().extensions().get::<ErrorInfo>().cloned();
    let path = res.request().path().to_string();
    // `/api/`, and a page's own script asking for JSON, keep the error's JSON body.
    let json = path.starts_with("/api/") || super::wants_json(res.request());
    let (Some(info), false) = (info, json) else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    let replacement = if status == StatusCode::UNAUTHORIZED {
        let next: String = url_encode(&path);
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/login?next={next}")))
            .finish()
    } else {
        let state = res.request().app_data::<web::Data<AppState>>().cloned();
        let mut context = tera::Context::new();
        context.insert("status", &status.as_u16());
        context.insert("title", status.canonical_reason().unwrap_or("Error"));
        context.insert("message", &info.message);
        context.insert("fields", &info.fields);
        context.insert("request_id", &info.request_id);
        context.insert("user", &None::<()>);
        let html = state
            .and_then(|s| s.templates.render(error_page(&path), &context).ok())
            .unwrap_or_else(|| format!("<!doctype html><title>Error</title><p>{}</p>", status));
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html)
    };
    let (req, _) = res.into_parts();
    let res: ServiceResponse<EitherBody<B, BoxBody>> =
        ServiceResponse::new(req, replacement).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// Customers' pages (their plan, stopping e-mails, support links) keep their own look on an
/// error: the staff page's header and its "start page" link lead a customer to a staff sign-in.
fn error_page(path: &str) -> &'static str {
    let customers = ["/p/", "/unsubscribe/", "/s/"];
    if customers.iter().any(|prefix| path.starts_with(prefix)) {
        "customer/error.html"
    } else {
        "error.html"
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
