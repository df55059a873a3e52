//! Admins maintain the emergency and non-emergency numbers shown on the risk-to-life path, for
//! where the customer is (see `calls::emergency`).

use actix_web::{get, post, web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    audit,
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Admin,
    },
    db::{self, schema::emergency_contacts as ec},
    domain::region::Region,
    error::{AppError, AppResult},
    state::AppState,
    web::{redirect, Page},
};

/// Offered in the form; any country code is accepted too.
const REGIONS: [&str; 5] = ["uk", "england", "wales", "scotland", "northern_ireland"];

/// "uk", or a region as referrals name one (a nation, a country code, a subdivision), stored as
/// the cases store it; "GB" is the UK.
fn contact_region(raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("uk") || raw.eq_ignore_ascii_case("gb") {
        return Ok("uk".into());
    }
    Region::parse(raw)
        .map(|r| r.as_code())
        .map_err(|_| AppError::field("region", REGION_RULE))
}

const REGION_RULE: &str =
    "must be uk, england, wales, scotland, northern_ireland or a country code such as IE";

#[derive(Queryable, Serialize)]
struct ContactRow {
    id: i64,
    region: String,
    service: String,
    phone: String,
    note: Option<String>,
}

#[get("/admin/emergency-contacts")]
async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    list_page(&state, &admin, &csrf, None).await
}

/// The numbers and the form to add one; a refused form comes back as typed beside its
/// messages (text with payment data excepted).
async fn list_page(
    state: &AppState,
    admin: &Admin,
    csrf: &CsrfToken,
    refused: Option<(String, crate::error::FieldErrors, serde_json::Value)>,
) -> AppResult<HttpResponse> {
    let (errors, typed) = crate::calls::pages::split_refused(refused);
    let rows: Vec<ContactRow> = db::run(&state.pool, |conn| {
        Ok(ec::table
            .order((ec::region, ec::id))
            .select((ec::id, ec::region, ec::service, ec::phone, ec::note))
            .load(conn)?)
    })
    .await?;
    Page::new("admin/emergency_contacts.html", csrf, Some(&admin.user))
        .with("contacts", &rows)
        .with("regions", &REGIONS)
        .with("typed", &typed)
        .with_errors(errors)
        .render(state)
}

#[derive(Deserialize, Serialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    note: String,
}

impl ContactForm {
    /// The form checked, every field's mistake at once against its own field; its region as
    /// stored.
    fn checked_region(&self) -> AppResult<String> {
        use crate::payment_guard::{check_fields, check_text, PHONE_MAX_CHARS};
        let region = contact_region(&self.region);
        let mut fields = check_fields([
            ("service", Some(self.service.as_str())),
            ("note", Some(self.note.as_str())),
        ]);
        let mut refuse =
            |field: &str, message: String| fields.entry(field.into()).or_default().push(message);
        if region.is_err() {
            refuse("region", REGION_RULE.into());
        }
        for (field, text) in [("service", &self.service), ("phone", &self.phone)] {
            if text.trim().is_empty() {
                refuse(field, "is required".into());
            }
        }
        if let Err(message) = check_text(self.phone.trim(), PHONE_MAX_CHARS) {
            refuse("phone", message);
        }
        if !fields.is_empty() {
            return Err(AppError::fields(fields));
        }
        region
    }
}

#[post("/admin/emergency-contacts")]
async fn add(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ContactForm>,
) -> AppResult<HttpResponse> {
    let region = match form.checked_region() {
        Ok(region) => region,
        Err(AppError::Validation { message, fields }) => {
            let typed = crate::calls::pages::typed("contact", &form);
            return list_page(&state, &admin, &csrf, Some((message, fields, typed))).await;
        }
        Err(other) => return Err(other),
    };
    let actor = admin.actor();
    db::run_write(&state.pool, move |conn| {
        let id: i64 = crate::db::portable::get_result(
            diesel::insert_into(ec::table)
                .values((
                    ec::region.eq(&region),
                    ec::service.eq(form.service.trim()),
                    ec::phone.eq(form.phone.trim()),
                    ec::note.eq(Some(form.note.trim()).filter(|n| !n.is_empty())),
                ))
                .returning(ec::id),
            conn,
        )?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("emergency_contact_added", "emergency_contact", Some(id))
                .detail(described(&region, form.service.trim(), form.phone.trim())),
        )
    })
    .await?;
    Ok(redirect("/admin/emergency-contacts"))
}

#[post("/admin/emergency-contacts/{id}/delete")]
async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), admin.actor());
    db::run_write(&state.pool, move |conn| {
        // What the number was, for the trail: the row itself is gone after this.
        let (region, service, phone): (String, String, String) = ec::table
            .find(id)
            .select((ec::region, ec::service, ec::phone))
            .first(conn)
            .optional()?
            .ok_or(crate::error::AppError::NotFound)?;
        diesel::delete(ec::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("emergency_contact_removed", "emergency_contact", Some(id))
                .detail(described(&region, &service, &phone)),
        )
    })
    .await?;
    Ok(redirect("/admin/emergency-contacts"))
}

/// A number in a line, for the audit trail.
fn described(region: &str, service: &str, phone: &str) -> String {
    format!("{region}: {service} {phone}")
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(add).service(delete);
}
