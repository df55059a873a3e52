//! The tracked redirect customers follow, and the call screen's needs and mentions. The
//! directory's own pages are in `directory_pages`.

use actix_web::{get, http::header, post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use super::{matching::NEEDS, store};
use crate::{
    audit,
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Staff,
    },
    db::{self, schema::cases},
    error::{AppError, AppResult},
    state::AppState,
    web::{redirect, Page},
};

/// The form's fields; checkboxes arrive as repeated keys, so the body is read as pairs.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    pub(super) fn one(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    pub(super) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// The tracked redirect: counts the click, then sends the customer on. Unknown codes get a
/// not-found page, never a redirect to somewhere we did not choose.
#[get("/s/{code}")]
async fn follow(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (code, now) = (path.into_inner(), state.clock.now_naive());
    let target = db::run(&state.pool, move |conn| store::open_link(conn, &code, now)).await?;
    match target {
        Some(store::Destination::Website(url)) => Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
        // No website any more: the organisation's name and number, on the customer's own page.
        Some(store::Destination::Details {
            name,
            phone,
            opening_hours,
        }) => Page::new("customer/organisation.html", &csrf, None)
            .with("name", &name)
            .with("phone", &phone)
            .with("opening_hours", &opening_hours)
            .render(&state),
        None => Err(AppError::NotFound),
    }
}

/// Needs and mentioned organisations from the call screen.
#[post("/calls/{id}/support")]
async fn record_support(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let needs: Vec<String> = form
        .all("needs")
        .into_iter()
        .filter(|n| NEEDS.contains(&n.as_str()))
        .collect();
    let mentioned: Vec<i64> = form
        .all("mentioned")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let (user_id, actor, now) = (staff.id, staff.actor(), state.clock.now_naive());
    db::run_write(&state.pool, move |conn| {
        let case = crate::cases::store::find_claimed_by(conn, case_id, user_id, now)?;
        diesel::update(cases::table.find(case_id))
            .set((cases::needs.eq(needs.join(",")), cases::updated_at.eq(now)))
            .execute(conn)?;
        store::record_mentions(conn, case_id, user_id, &mentioned, now)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("support_recorded", "case", Some(case_id))
                .client(Some(case.client_id))
                // Counts only: what a customer needs help with (mental health, gambling) is
                // special-category data, kept on the case, never in the widely read trail.
                .detail(format!(
                    "needs: {}; mentioned: {}",
                    needs.len(),
                    mentioned.len()
                )),
        )
    })
    .await?;
    Ok(redirect(&format!("/calls/{case_id}")))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(follow).service(record_support);
}
