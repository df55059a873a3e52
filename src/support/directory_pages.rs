//! The support directory's pages, for supervisors and admins: the list, adding an entry, and
//! editing, retiring or restoring one.

use actix_web::{get, post, web, HttpResponse};

use super::{
    matching::{NEEDS, REGIONS},
    pages::Pairs,
    store::{self, OrganisationInput},
};
use crate::{
    audit,
    auth::{
        csrf::{CsrfForm, CsrfToken},
        roles::Supervisor,
    },
    db,
    error::{AppResult, FieldErrors},
    state::AppState,
    web::{redirect, Page},
};

/// What was typed into a refused organisation form, in the shape the page shows an
/// organisation, so the form comes back as it was sent; `for` is the form's organisation id, or
/// `new`.
#[derive(serde::Serialize)]
struct Typed {
    #[serde(rename = "for")]
    form: String,
    name: String,
    helps_with: String,
    regions: String,
    countries: String,
    website: String,
    phone: String,
    opening_hours: String,
    last_checked_on: String,
}

impl Typed {
    fn of(form: &Pairs, which: String) -> Typed {
        // Payment data typed into any field is not shown back.
        let shown = |field: &str| crate::payment_guard::shown_back(form.one(field));
        Typed {
            form: which,
            name: shown("name"),
            helps_with: form.all("helps_with").join(","),
            regions: form.all("regions").join(","),
            countries: shown("countries"),
            website: shown("website"),
            phone: shown("phone"),
            opening_hours: shown("opening_hours"),
            last_checked_on: shown("last_checked_on"),
        }
    }
}

fn optional(value: String) -> Option<String> {
    Some(value).filter(|v| !v.is_empty())
}

/// `example.org` → `https://example.org`; anything but http(s) is refused.
fn website(raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let url = if raw.starts_with("https://") || raw.starts_with("http://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    if host.contains('.') && !host.contains(' ') && url.len() < 300 {
        Ok(Some(url))
    } else {
        Err("must be a web address such as stepchange.org".into())
    }
}

/// Countries outside the UK, typed as codes ("IE, US"), as stored.
fn countries(typed: &str) -> Result<Vec<String>, String> {
    typed
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|code| !code.is_empty())
        .map(|code| match crate::domain::Region::parse(code) {
            Ok(crate::domain::Region::Country(code)) if code != "GB" => Ok(code),
            _ => Err(format!(
                "'{code}' is not a country outside the UK: use two-letter codes such as IE or US \
                 (tick the UK's nations above)"
            )),
        })
        .collect()
}

fn parse_input(form: &Pairs) -> Result<OrganisationInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut note = |f: &str, m: String| errors.entry(f.to_string()).or_default().push(m);
    let name = form.one("name");
    if name.is_empty() || name.chars().count() > 200 {
        note("name", "is required (at most 200 characters)".into());
    }
    let opening_hours = form.one("opening_hours");
    if let Err(message) =
        crate::payment_guard::check_text(&form.one("phone"), crate::payment_guard::PHONE_MAX_CHARS)
    {
        note("phone", message);
    }
    let website_typed = form.one("website");
    for (field, finding) in crate::payment_guard::check_fields([
        ("name", Some(&*name)),
        ("opening_hours", Some(&*opening_hours)),
        ("website", Some(&*website_typed)),
    ]) {
        note(&field, finding.concat());
    }
    let helps: Vec<String> = form
        .all("helps_with")
        .into_iter()
        .filter(|n| NEEDS.contains(&n.as_str()))
        .collect();
    if helps.is_empty() {
        note(
            "helps_with",
            "choose at least one thing they help with".into(),
        );
    }
    let mut regions: Vec<String> = form
        .all("regions")
        .into_iter()
        .filter(|r| REGIONS.contains(&r.as_str()))
        .collect();
    match countries(&form.one("countries")) {
        Ok(codes) => {
            for code in codes {
                if !regions.contains(&code) {
                    regions.push(code);
                }
            }
        }
        Err(message) => note("countries", message),
    }
    if regions.is_empty() {
        note(
            "regions",
            "choose where they help (all of the UK, a nation, or countries abroad)".into(),
        );
    }
    let site = website(&form.one("website"))
        .map_err(|m| note("website", m))
        .ok()
        .flatten();
    let checked = crate::domain::calendar::parse_date(&form.one("last_checked_on"))
        .ok_or_else(|| {
            note(
                "last_checked_on",
                crate::domain::calendar::DATE_EXPECTED.into(),
            )
        })
        .ok();
    match checked {
        Some(last_checked_on) if errors.is_empty() => Ok(OrganisationInput {
            name,
            helps_with: helps.join(","),
            regions: regions.join(","),
            website: site,
            phone: optional(form.one("phone")),
            opening_hours: optional(opening_hours),
            last_checked_on,
        }),
        _ => Err(errors),
    }
}

async fn directory_page(
    state: &AppState,
    user: &Supervisor,
    csrf: &CsrfToken,
    refused: Option<(FieldErrors, Typed)>,
) -> AppResult<HttpResponse> {
    let organisations: Vec<serde_json::Value> = db::run(&state.pool, store::directory)
        .await?
        .into_iter()
        .map(|org| {
            let countries = org.countries();
            let mut shown = serde_json::to_value(org).unwrap_or_default();
            shown["countries"] = countries.into();
            shown
        })
        .collect();
    let (errors, typed) = match refused {
        Some((fields, typed)) => (Some(fields), Some(typed)),
        None => (None, None),
    };
    Page::new("support/directory.html", csrf, Some(&user.user))
        .with("organisations", &organisations)
        .with("needs", &NEEDS)
        .with("regions", &REGIONS)
        .with(
            "today",
            &crate::reports::periods::uk_today(state.clock.now()).to_string(),
        )
        .with("typed", &typed)
        .with_errors(errors.map(|fields| ("Some details need correcting.".to_string(), fields)))
        .render(state)
}

#[get("/support")]
async fn directory(
    state: web::Data<AppState>,
    user: Supervisor,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    directory_page(&state, &user, &csrf, None).await
}

#[post("/support")]
async fn add(
    state: web::Data<AppState>,
    user: Supervisor,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<Pairs>,
) -> AppResult<HttpResponse> {
    let input = match parse_input(&form) {
        Ok(input) => input,
        Err(errors) => return settled(&state, &user, &csrf, &form, "new", Err(errors)).await,
    };
    let (actor, now) = (user.actor(), state.clock.now_naive());
    let saved = db::run_write(&state.pool, move |conn| {
        if store::name_taken(conn, &input.name, None)? {
            return Ok(Err(name_taken()));
        }
        let id = store::insert(conn, &input, now)?;
        audit::record(
            conn,
            actor,
            audit::Entry::new(
                "support_organisation_added",
                "support_organisation",
                Some(id),
            )
            .detail(input.described()),
        )?;
        Ok(Ok(()))
    })
    .await?;
    settled(&state, &user, &csrf, &form, "new", saved).await
}

#[post("/support/{id}")]
async fn edit(
    state: web::Data<AppState>,
    user: Supervisor,
    csrf: CsrfToken,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = user.actor();
    if form.one("action") == "retire" || form.one("action") == "restore" {
        let retired = form.one("action") == "retire";
        let saved = db::run_write(&state.pool, move |conn| {
            let lost = store::nations_losing_debt_advice(conn, id, |o| o.retired = retired)?;
            if !lost.is_empty() {
                return Ok(Err(no_debt_advice_left(&lost)));
            }
            store::set_retired(conn, id, retired)?;
            audit::record(
                conn,
                actor,
                audit::Entry::new(
                    if retired {
                        "support_organisation_retired"
                    } else {
                        "support_organisation_restored"
                    },
                    "support_organisation",
                    Some(id),
                ),
            )?;
            Ok(Ok(()))
        })
        .await?;
        return settled(&state, &user, &csrf, &form, &id.to_string(), saved).await;
    }
    let input = match parse_input(&form) {
        Ok(input) => input,
        Err(errors) => {
            return settled(&state, &user, &csrf, &form, &id.to_string(), Err(errors)).await
        }
    };
    let saved = db::run_write(&state.pool, move |conn| {
        if store::name_taken(conn, &input.name, Some(id))? {
            return Ok(Err(name_taken()));
        }
        let lost = store::nations_losing_debt_advice(conn, id, |o| {
            (o.helps_with, o.regions) = (input.helps_with.clone(), input.regions.clone())
        })?;
        if !lost.is_empty() {
            return Ok(Err(no_debt_advice_left(&lost)));
        }
        store::update(conn, id, &input)?;
        // What it says now, so the trail shows where links already sent lead from then on.
        audit::record(
            conn,
            actor,
            audit::Entry::new(
                "support_organisation_edited",
                "support_organisation",
                Some(id),
            )
            .detail(input.described()),
        )?;
        Ok(Ok(()))
    })
    .await?;
    settled(&state, &user, &csrf, &form, &id.to_string(), saved).await
}

/// How a directory change ends: the page again with the form as sent (`entry` is the one it
/// was for, "new" or an id) and what was refused; or, once saved, back to the directory, whose
/// cached copy is dropped so handlers see the change.
async fn settled(
    state: &AppState,
    user: &Supervisor,
    csrf: &CsrfToken,
    form: &Pairs,
    entry: &str,
    outcome: Result<(), FieldErrors>,
) -> AppResult<HttpResponse> {
    if let Err(errors) = outcome {
        let typed = Typed::of(form, entry.to_string());
        return directory_page(state, user, csrf, Some((errors, typed))).await;
    }
    state.reference.forget_directory();
    Ok(redirect("/support"))
}

/// Every customer in arrears is pointed to free debt advice: a change leaving a nation without
/// any is refused, naming it.
fn no_debt_advice_left(nations: &[&str]) -> FieldErrors {
    let named: Vec<String> = nations.iter().map(|n| n.replace('_', " ")).collect();
    FieldErrors::from([(
        "helps_with".to_string(),
        vec![format!(
            "this would leave customers in {} with no free debt advice: add or restore another \
             entry for them first",
            named.join(", ")
        )],
    )])
}

fn name_taken() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.insert(
        "name".into(),
        vec!["another entry in the directory already has this name".into()],
    );
    errors
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(directory).service(add).service(edit);
}

#[cfg(test)]
mod tests {
    use super::website;

    #[test]
    fn websites_become_https_links_and_junk_is_refused() {
        assert_eq!(
            website("stepchange.org").unwrap().as_deref(),
            Some("https://stepchange.org")
        );
        assert_eq!(
            website("http://x.org/a").unwrap().as_deref(),
            Some("http://x.org/a")
        );
        assert!(website("javascript:alert(1)").is_err());
        assert!(website("").unwrap().is_none());
    }
}
