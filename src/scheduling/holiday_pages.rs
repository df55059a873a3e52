//! Admins see the bank holidays the contact rules skip for each UK nation, and add the days the
//! computation cannot know (a one-off bank holiday, a local day off, another country's holidays).

use actix_web::{get, post, web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::holidays::{bank_holidays, HolidayRegion};
use crate::{
    audit,
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Admin,
    },
    db::{self, schema::public_holidays as ph},
    domain::Region,
    error::{AppError, AppResult, FieldErrors},
    state::AppState,
    web::{redirect, Page},
};

/// A day an admin added, as the page shows it.
#[derive(Serialize)]
struct ExtraDay {
    id: i64,
    region: String,
    date: String,
    name: String,
}

/// One nation's computed bank holidays for a year, for the admin to check against.
#[derive(Serialize)]
struct ComputedYear {
    nation: &'static str,
    year: i32,
    days: Vec<String>,
}

/// "Fri 3 April 2026"
fn shown(date: NaiveDate) -> String {
    date.format("%a %-d %B %Y").to_string()
}

fn computed(this_year: i32) -> Vec<ComputedYear> {
    let nations = [
        ("England and Wales", HolidayRegion::EnglandWales),
        ("Scotland", HolidayRegion::Scotland),
        ("Northern Ireland", HolidayRegion::NorthernIreland),
    ];
    nations
        .into_iter()
        .flat_map(|(nation, region)| {
            [this_year, this_year + 1].map(|year| ComputedYear {
                nation,
                year,
                days: bank_holidays(region, year).into_iter().map(shown).collect(),
            })
        })
        .collect()
}

#[derive(Deserialize, Default, Serialize)]
pub struct ExtraDayForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    holiday_date: String,
    #[serde(default)]
    name: String,
}

impl ExtraDayForm {
    /// The region code, date and name, or what is wrong with each, in the admin's terms.
    fn parse(&self) -> Result<(String, NaiveDate, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let region = Region::parse(self.region.trim());
        if region.is_err() {
            errors.insert(
                "region".into(),
                vec!["must be england, wales, scotland, northern_ireland or a two-letter country code".into()],
            );
        }
        let date = crate::domain::calendar::parse_date(&self.holiday_date).ok_or(());
        if date.is_err() {
            errors.insert(
                "holiday_date".into(),
                vec![crate::domain::calendar::DATE_EXPECTED.into()],
            );
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.insert(
                "name".into(),
                vec!["is required (at most 100 characters)".into()],
            );
        }
        errors.extend(crate::payment_guard::check_fields([("name", Some(name))]));
        match (region, date) {
            (Ok(region), Ok(date)) if errors.is_empty() => {
                Ok((region.as_code(), date, name.to_string()))
            }
            _ => Err(errors),
        }
    }
}

async fn holidays_page(
    state: &AppState,
    admin: &Admin,
    csrf: &CsrfToken,
    form: Option<&ExtraDayForm>,
    errors: Option<FieldErrors>,
) -> AppResult<HttpResponse> {
    let rows: Vec<(i64, String, NaiveDate, String)> = db::run(&state.pool, |conn| {
        Ok(ph::table
            .order((ph::holiday_date, ph::region))
            .select((ph::id, ph::region, ph::holiday_date, ph::name))
            .load(conn)?)
    })
    .await?;
    let extra: Vec<ExtraDay> = rows
        .into_iter()
        .map(|(id, region, date, name)| ExtraDay {
            id,
            region,
            date: shown(date),
            name,
        })
        .collect();
    let this_year = state.clock.now().year();
    Page::new("admin/holidays.html", csrf, Some(&admin.user))
        .with("extra", &extra)
        .with("computed", &computed(this_year))
        .with_form(&form)
        .with_errors(errors.map(|e| ("Some details need correcting.".to_string(), e)))
        .render(state)
}

#[get("/admin/holidays")]
async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    holidays_page(&state, &admin, &csrf, None, None).await
}

#[post("/admin/holidays")]
async fn add(
    state: web::Data<AppState>,
    admin: Admin,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ExtraDayForm>,
) -> AppResult<HttpResponse> {
    let (region, date, name) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            return holidays_page(&state, &admin, &csrf, Some(&form), Some(errors)).await
        }
    };
    let actor = admin.actor();
    let added = db::run_write(&state.pool, move |conn| {
        let known: bool = diesel::select(diesel::dsl::exists(
            ph::table
                .filter(ph::region.eq(&region))
                .filter(ph::holiday_date.eq(date)),
        ))
        .get_result(conn)?;
        if known {
            return Ok(false);
        }
        diesel::insert_into(ph::table)
            .values((
                ph::region.eq(&region),
                ph::holiday_date.eq(date),
                ph::name.eq(&name),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("public_holiday_added", "public_holiday", None)
                .detail(format!("{region} {date}: {name}")),
        )?;
        Ok(true)
    })
    .await?;
    state.reference.forget_calendars();
    if !added {
        let errors = FieldErrors::from([(
            "holiday_date".to_string(),
            vec!["is already a holiday for that region".to_string()],
        )]);
        return holidays_page(&state, &admin, &csrf, Some(&form), Some(errors)).await;
    }
    Ok(redirect("/admin/holidays"))
}

#[post("/admin/holidays/{id}/delete")]
async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    _f: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), admin.actor());
    db::run_write(&state.pool, move |conn| {
        // What the day was, for the trail: the row itself is gone after this.
        let (region, date, name): (String, NaiveDate, String) = ph::table
            .find(id)
            .select((ph::region, ph::holiday_date, ph::name))
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        diesel::delete(ph::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new("public_holiday_removed", "public_holiday", Some(id))
                .detail(format!("{region} {date}: {name}")),
        )
    })
    .await?;
    state.reference.forget_calendars();
    Ok(redirect("/admin/holidays"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(add).service(delete);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(region: &str, date: &str, name: &str) -> ExtraDayForm {
        ExtraDayForm {
            region: region.into(),
            holiday_date: date.into(),
            name: name.into(),
        }
    }

    #[test]
    fn a_good_day_is_parsed_to_the_stored_region_code() {
        let (region, date, name) = form(" Scotland ", "2027-11-30", " St Andrew's Day (moved) ")
            .parse()
            .unwrap();
        assert_eq!(region, "scotland");
        assert_eq!(date, NaiveDate::from_ymd_opt(2027, 11, 30).unwrap());
        assert_eq!(name, "St Andrew's Day (moved)");
        assert_eq!(
            form("ie", "2027-03-17", "St Patrick's Day")
                .parse()
                .unwrap()
                .0,
            "IE"
        );
    }

    #[test]
    fn every_wrong_field_is_named() {
        let errors = form("atlantis", "30/11/2027", " ").parse().unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["holiday_date", "name", "region"]
        );
    }

    #[test]
    fn each_nation_lists_this_year_and_next() {
        let years = computed(2026);
        assert_eq!(years.len(), 6);
        let scotland_2026 = years
            .iter()
            .find(|y| y.nation == "Scotland" && y.year == 2026)
            .unwrap();
        // 2 January is a bank holiday in Scotland only.
        assert!(scotland_2026
            .days
            .contains(&"Fri 2 January 2026".to_string()));
    }
}
