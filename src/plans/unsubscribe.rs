//! "Stop e-mails": the link in every customer e-mail (a page and its form) and the mail
//! program's own button (RFC 8058 one-click), both honoured at once.

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::pages::{limited, link_problem, link_worked, over_limit};
use crate::{
    auth::csrf::{CsrfForm, CsrfToken},
    db,
    error::{AppError, AppResult},
    mail::{compose, outbox},
    state::AppState,
    web::Page,
};

#[get("/unsubscribe/{id}/{token}")]
async fn unsubscribe_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    over_limit(&state, &req)?;
    let (id, token) = path.into_inner();
    Page::new("customer/unsubscribe.html", &csrf, None)
        .with("id", &id)
        .with("token", &token)
        .render(&state)
}

/// Stopping e-mails takes effect at once: the address is suppressed before the next send.
#[post("/unsubscribe/{id}/{token}")]
async fn unsubscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    path: web::Path<(i64, String)>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    limited(&state, &req)?;
    let (id, token) = path.into_inner();
    let stopped = match stop_emails(&state, id, token).await? {
        Stop::NotGenuine => return link_problem(&state, &csrf, false),
        Stop::Recorded => true,
        Stop::NothingHeld => false,
    };
    link_worked(&state, &req);
    Page::new("customer/unsubscribed.html", &csrf, None)
        .with("nothing_held", &!stopped)
        .render(&state)
}

/// A mail program's own "unsubscribe" button (RFC 8058): it posts
/// `List-Unsubscribe=One-Click` with no cookies, so there is no form token; the signed path
/// proves the message was the customer's, as on the page. A bare 200 or 404, no page. Not
/// limited per address as the customers' pages are: a mail provider posts for all its users
/// from a few servers, and a 256-bit signature is not guessed by trying.
#[post("/unsubscribe/{id}/{token}/one-click")]
async fn unsubscribe_one_click(
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let asked = std::str::from_utf8(&body).is_ok_and(asks_one_click);
    if !asked {
        return Ok(HttpResponse::BadRequest().body("expected List-Unsubscribe=One-Click"));
    }
    let (id, token) = path.into_inner();
    if let Stop::NotGenuine = stop_emails(&state, id, token).await? {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok().finish())
}

/// Whether a body is RFC 8058's `List-Unsubscribe=One-Click`, sent as a form
/// (`application/x-www-form-urlencoded`) or, as the RFC prefers, as `multipart/form-data`.
fn asks_one_click(body: &str) -> bool {
    body.split('&')
        .any(|pair| pair.trim() == "List-Unsubscribe=One-Click")
        || body
            .split("name=\"List-Unsubscribe\"")
            .nth(1)
            .and_then(|part| part.split("\r\n\r\n").nth(1))
            .is_some_and(|value| value.starts_with("One-Click"))
}

/// What a "stop e-mails" request came to.
enum Stop {
    /// The link is not one of ours.
    NotGenuine,
    /// The customer's addresses are on the stop list.
    Recorded,
    /// Their data was erased: no address is held to stop (nor, for this record, to write to).
    NothingHeld,
}

/// Stops e-mails for the customer a message went to, when `token` is that message's (made with
/// any configured key: a rotation leaves old e-mails working).
async fn stop_emails(state: &AppState, id: i64, token: String) -> AppResult<Stop> {
    let now = state.clock.now_naive();
    let secrets: Vec<Vec<u8>> = state
        .config
        .link_secrets()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    db::run(&state.pool, move |conn| {
        let Some(row) = outbox::find(conn, id)? else {
            return Ok(Stop::NotGenuine);
        };
        let genuine = secrets.iter().any(|secret| {
            let expected = compose::unsubscribe_token(secret, &row);
            crate::auth::tokens::constant_time_eq(expected.as_bytes(), token.as_bytes())
        });
        if !genuine {
            return Ok(Stop::NotGenuine);
        }
        db::write_transaction(conn, |conn| {
            // Every address the customer's case holds, not only the one this message went to:
            // "stop e-mails" is the customer's word, and their plan e-mail may have gone to an
            // address given on the call rather than the referral's. (An erased case holds none.)
            let mut addresses = match row.case_id {
                Some(case_id) => outbox::addresses_of_case(conn, case_id)?,
                None => Vec::new(),
            };
            addresses.push(row.recipient.clone());
            addresses.retain(|a| !a.trim().is_empty());
            for address in &addresses {
                outbox::suppress(conn, address, now)?;
            }
            crate::audit::record(
                conn,
                crate::audit::Actor::Customer,
                crate::audit::Entry::new("email_unsubscribed", "outbox", Some(id)),
            )?;
            Ok(match addresses.is_empty() {
                true => Stop::NothingHeld,
                false => Stop::Recorded,
            })
        })
    })
    .await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(unsubscribe_page)
        .service(unsubscribe)
        .service(unsubscribe_one_click);
}

#[cfg(test)]
mod tests {
    use super::asks_one_click;

    #[test]
    fn one_click_is_read_as_a_form_or_as_multipart() {
        assert!(asks_one_click("List-Unsubscribe=One-Click"));
        let multipart = "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n";
        assert!(asks_one_click(multipart));
        assert!(!asks_one_click(""));
        assert!(!asks_one_click("List-Unsubscribe=Later"));
    }
}
