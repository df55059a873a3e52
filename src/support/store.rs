//! Database access for the support directory, tracked links and mentions.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::matching::Organisation;
use crate::{
    auth::tokens,
    db::{
        portable,
        schema::{support_links, support_mentions, support_organisations as orgs},
        DbConn,
    },
    error::{AppError, AppResult},
};

type OrgColumns = (
    orgs::id,
    orgs::name,
    orgs::helps_with,
    orgs::regions,
    orgs::website,
    orgs::phone,
    orgs::opening_hours,
    orgs::last_checked_on,
    orgs::retired,
);
const ORG_COLUMNS: OrgColumns = (
    orgs::id,
    orgs::name,
    orgs::helps_with,
    orgs::regions,
    orgs::website,
    orgs::phone,
    orgs::opening_hours,
    orgs::last_checked_on,
    orgs::retired,
);

pub fn directory(conn: &mut DbConn) -> AppResult<Vec<Organisation>> {
    Ok(orgs::table
        .order(orgs::name)
        .select(ORG_COLUMNS)
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Organisation> {
    Ok(orgs::table.find(id).select(ORG_COLUMNS).first(conn)?)
}

/// The UK nations that `change` to entry `id` would leave with no free debt advice (those
/// already without are not counted against it).
pub fn nations_losing_debt_advice(
    conn: &mut DbConn,
    id: i64,
    change: impl FnOnce(&mut Organisation),
) -> AppResult<Vec<&'static str>> {
    let mut directory = directory(conn)?;
    let before = super::matching::nations_without_debt_advice(&directory);
    if let Some(entry) = directory.iter_mut().find(|o| o.id == id) {
        change(entry);
    }
    let after = super::matching::nations_without_debt_advice(&directory);
    Ok(after.into_iter().filter(|n| !before.contains(n)).collect())
}

/// An organisation as an admin or supervisor enters it, already checked.
pub struct OrganisationInput {
    pub name: String,
    pub helps_with: String,
    pub regions: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub last_checked_on: NaiveDate,
}

impl OrganisationInput {
    /// The entry in a line, for the audit trail: what a customer's link leads to from now on.
    pub fn described(&self) -> String {
        format!(
            "{}; helps with {}; regions {}; website {}; phone {}",
            self.name,
            self.helps_with,
            self.regions,
            self.website.as_deref().unwrap_or("none"),
            self.phone.as_deref().unwrap_or("none"),
        )
    }
}

pub fn insert(conn: &mut DbConn, input: &OrganisationInput, now: NaiveDateTime) -> AppResult<i64> {
    Ok(portable::get_result(
        diesel::insert_into(orgs::table)
            .values((
                orgs::name.eq(&input.name),
                orgs::helps_with.eq(&input.helps_with),
                orgs::regions.eq(&input.regions),
                orgs::website.eq(&input.website),
                orgs::phone.eq(&input.phone),
                orgs::opening_hours.eq(&input.opening_hours),
                orgs::last_checked_on.eq(input.last_checked_on),
                orgs::retired.eq(false),
                orgs::created_at.eq(now),
            ))
            .returning(orgs::id),
        conn,
    )?)
}

pub fn update(conn: &mut DbConn, id: i64, input: &OrganisationInput) -> AppResult<()> {
    let updated = diesel::update(orgs::table.find(id))
        .set((
            orgs::name.eq(&input.name),
            orgs::helps_with.eq(&input.helps_with),
            orgs::regions.eq(&input.regions),
            orgs::website.eq(&input.website),
            orgs::phone.eq(&input.phone),
            orgs::opening_hours.eq(&input.opening_hours),
            orgs::last_checked_on.eq(input.last_checked_on),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub fn set_retired(conn: &mut DbConn, id: i64, retired: bool) -> AppResult<()> {
    let updated = diesel::update(orgs::table.find(id))
        .set(orgs::retired.eq(retired))
        .execute(conn)?;
    if updated == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Whether another entry (not `except`) already has this name (names are unique).
pub fn name_taken(conn: &mut DbConn, name: &str, except: Option<i64>) -> AppResult<bool> {
    let same_name = orgs::table
        .filter(orgs::name.eq(name))
        .filter(orgs::id.ne(except.unwrap_or(0)));
    Ok(diesel::select(diesel::dsl::exists(same_name)).get_result(conn)?)
}

/// The tracked link for this case, organisation and channel (one per combination, reused).
/// Two compositions at once may both find none: the unique key keeps the first one stored, and
/// both then hand out its code.
pub fn link_code(
    conn: &mut DbConn,
    case_id: i64,
    organisation_id: i64,
    channel: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let stored = |conn: &mut DbConn| {
        support_links::table
            .filter(support_links::case_id.eq(case_id))
            .filter(support_links::organisation_id.eq(organisation_id))
            .filter(support_links::channel.eq(channel))
            .select(support_links::code)
            .first::<String>(conn)
            .optional()
    };
    if let Some(code) = stored(conn)? {
        return Ok(code);
    }
    let insert = diesel::insert_into(support_links::table)
        .values((
            support_links::code.eq(tokens::random_hex(8)),
            support_links::case_id.eq(case_id),
            support_links::organisation_id.eq(organisation_id),
            support_links::channel.eq(channel),
            support_links::created_at.eq(now),
            support_links::opens.eq(0),
        ))
        .on_conflict((
            support_links::case_id,
            support_links::organisation_id,
            support_links::channel,
        ))
        .do_nothing();
    crate::db::portable::execute(insert, conn)?;
    // Stored just now, or by whoever got there first; gone only if the case was erased meanwhile.
    stored(conn)?.ok_or(AppError::NotFound)
}

/// Where a tracked link leads: the organisation's website, or, when it has none now (a
/// supervisor cleared it after the link was sent), its name and number to show instead.
#[derive(Debug, serde::Serialize)]
pub enum Destination {
    Website(String),
    Details {
        name: String,
        phone: Option<String>,
        opening_hours: Option<String>,
    },
}

/// Counts a click on the link `code` and says where it leads; `None` for an unknown code.
pub fn open_link(
    conn: &mut DbConn,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Destination>> {
    if code.len() > 32 {
        return Ok(None);
    }
    type Found = (
        i64,
        Option<NaiveDateTime>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let found: Option<Found> = support_links::table
        .inner_join(orgs::table)
        .filter(support_links::code.eq(code))
        .select((
            support_links::id,
            support_links::first_opened_at,
            orgs::website,
            orgs::name,
            orgs::phone,
            orgs::opening_hours,
        ))
        .first(conn)
        .optional()?;
    let Some((id, first_opened, website, name, phone, opening_hours)) = found else {
        return Ok(None);
    };
    // Counted in the statement, so two clicks at once are two opens.
    diesel::update(support_links::table.find(id))
        .set((
            support_links::opens.eq(support_links::opens + 1),
            support_links::first_opened_at.eq(first_opened.or(Some(now))),
        ))
        .execute(conn)?;
    Ok(Some(match website {
        Some(url) => Destination::Website(url),
        None => Destination::Details {
            name,
            phone,
            opening_hours,
        },
    }))
}

pub fn record_mentions(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    organisation_ids: &[i64],
    now: NaiveDateTime,
) -> AppResult<()> {
    // The form lists the directory's organisations; an id it does not hold (a form sent by hand,
    // an organisation removed meanwhile) names nothing to record.
    let known: Vec<i64> = orgs::table
        .filter(orgs::id.eq_any(organisation_ids))
        .select(orgs::id)
        .load(conn)?;
    for organisation_id in &known {
        diesel::insert_into(support_mentions::table)
            .values((
                support_mentions::case_id.eq(case_id),
                support_mentions::organisation_id.eq(organisation_id),
                support_mentions::handler_id.eq(handler_id),
                support_mentions::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
