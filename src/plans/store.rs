//! Database access for plans.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{
    terms::{in_words, Affordability, Frequency, PlanTerms},
    PlanView,
};
use crate::{
    db::{portable, schema::plans, DbConn},
    domain::{Currency, Money},
    error::AppResult,
};

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = plans)]
pub struct Plan {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub amount_minor: i64,
    pub currency: String,
    pub frequency: String,
    pub first_payment_on: chrono::NaiveDate,
    pub email: String,
    pub income_expenditure: Option<String>,
    pub affordability_note: Option<String>,
    pub status: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub change_requested_at: Option<NaiveDateTime>,
    pub change_message: Option<String>,
}

impl Plan {
    pub fn in_words(&self) -> String {
        match (
            Currency::parse(&self.currency),
            Frequency::parse(&self.frequency),
        ) {
            (Ok(currency), Some(frequency)) => in_words(
                Money::new(self.amount_minor, currency),
                frequency,
                self.first_payment_on,
            ),
            _ => format!("{} {} {}", self.amount_minor, self.currency, self.frequency),
        }
    }
}

pub fn view(plan: &Plan, affordability: Option<Affordability>) -> PlanView {
    PlanView {
        id: plan.id,
        case_id: plan.case_id,
        version: plan.version,
        status: plan.status.clone(),
        amount_minor: plan.amount_minor,
        currency: plan.currency.clone(),
        frequency: plan.frequency.clone(),
        first_payment_on: plan.first_payment_on,
        email: plan.email.clone(),
        in_words: plan.in_words(),
        affordability,
        emails_stopped_at: None,
    }
}

fn stored_income_expenditure(terms: &PlanTerms) -> Option<String> {
    terms
        .income_expenditure
        .as_ref()
        .map(|ie| serde_json::to_string(ie).unwrap_or_default())
}

/// Whether `plan` records exactly `terms`.
pub fn same_terms(plan: &Plan, terms: &PlanTerms) -> bool {
    plan.amount_minor == terms.amount.minor
        && plan.currency == terms.amount.currency.code()
        && plan.frequency == terms.frequency.as_str()
        && plan.first_payment_on == terms.first_payment_on
        && plan.email == terms.email.as_str()
        && plan.income_expenditure == stored_income_expenditure(terms)
        && plan.affordability_note.as_deref() == terms.affordability_note.as_deref()
}

/// The case's latest plan, if `handler_id` proposed it since `since` with exactly `terms` and the
/// customer has not answered yet: the same proposal sent again (a double click, a page
/// refreshed, a request retried), not a new one.
pub fn repeat_of(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    terms: &PlanTerms,
    since: NaiveDateTime,
) -> AppResult<Option<Plan>> {
    let latest: Option<Plan> = plans::table
        .filter(plans::case_id.eq(case_id))
        .order(plans::version.desc())
        .select(Plan::as_select())
        .first(conn)
        .optional()?;
    Ok(latest.filter(|plan| {
        plan.status == "awaiting_confirmation"
            && plan.created_by == handler_id
            && plan.created_at >= since
            && same_terms(plan, terms)
    }))
}

/// Inserts the next version; earlier versions still awaiting the customer are superseded.
pub fn insert_version(
    conn: &mut DbConn,
    case_id: i64,
    handler_id: i64,
    terms: &PlanTerms,
    now: NaiveDateTime,
) -> AppResult<Plan> {
    let latest: Option<i32> = plans::table
        .filter(plans::case_id.eq(case_id))
        .select(diesel::dsl::max(plans::version))
        .first(conn)?;
    diesel::update(
        plans::table
            .filter(plans::case_id.eq(case_id))
            .filter(plans::status.eq("awaiting_confirmation")),
    )
    .set(plans::status.eq("superseded"))
    .execute(conn)?;
    let income_expenditure = stored_income_expenditure(terms);
    let id: i64 = portable::get_result(
        diesel::insert_into(plans::table)
            .values((
                plans::case_id.eq(case_id),
                plans::version.eq(latest.unwrap_or(0) + 1),
                plans::amount_minor.eq(terms.amount.minor),
                plans::currency.eq(terms.amount.currency.code()),
                plans::frequency.eq(terms.frequency.as_str()),
                plans::first_payment_on.eq(terms.first_payment_on),
                plans::email.eq(terms.email.as_str()),
                plans::income_expenditure.eq(income_expenditure),
                plans::affordability_note.eq(terms.affordability_note.as_deref()),
                plans::status.eq("awaiting_confirmation"),
                plans::created_by.eq(handler_id),
                plans::created_at.eq(now),
            ))
            .returning(plans::id),
        conn,
    )?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, plan_id: i64) -> AppResult<Plan> {
    Ok(plans::table
        .find(plan_id)
        .select(Plan::as_select())
        .first(conn)?)
}

/// A plan as staff pages list it: the stored row and its terms in words ("£12.50 every week,
/// starting Monday 16 March"), which a handler may read out; never the minor units.
#[derive(Debug, Serialize)]
pub struct ListedPlan {
    #[serde(flatten)]
    pub plan: Plan,
    pub in_words: String,
}

fn listed(plans: Vec<Plan>) -> Vec<ListedPlan> {
    plans
        .into_iter()
        .map(|plan| ListedPlan {
            in_words: plan.in_words(),
            plan,
        })
        .collect()
}

pub fn for_case(conn: &mut DbConn, case_id: i64) -> AppResult<Vec<ListedPlan>> {
    Ok(listed(
        plans::table
            .filter(plans::case_id.eq(case_id))
            .order(plans::version.desc())
            .select(Plan::as_select())
            .load(conn)?,
    ))
}

/// Whether the customer has confirmed the case's latest plan.
pub fn latest_is_confirmed(conn: &mut DbConn, case_id: i64) -> AppResult<bool> {
    let latest: Option<String> = plans::table
        .filter(plans::case_id.eq(case_id))
        .order(plans::version.desc())
        .select(plans::status)
        .first(conn)
        .optional()?;
    Ok(latest.as_deref() == Some("confirmed"))
}

/// Plans the customers answered recently (confirmed or asked for a change), newest first.
pub fn recent_answers(conn: &mut DbConn, limit: i64) -> AppResult<Vec<ListedPlan>> {
    Ok(listed(
        plans::table
            .filter(plans::status.eq_any(["confirmed", "change_requested"]))
            .order(plans::id.desc())
            .limit(limit)
            .select(Plan::as_select())
            .load(conn)?,
    ))
}

pub fn set_confirmed(conn: &mut DbConn, plan_id: i64, now: NaiveDateTime) -> AppResult<bool> {
    let updated = diesel::update(plans::table.find(plan_id))
        .filter(plans::status.eq("awaiting_confirmation"))
        .set((plans::status.eq("confirmed"), plans::confirmed_at.eq(now)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The longest a plan's change messages grow to together; a later one is cut short to fit.
const CHANGE_MESSAGES_MAX_CHARS: usize = 8000;

/// Adds a further message to a change already asked for (unless it repeats one kept).
pub fn add_change_message(conn: &mut DbConn, plan_id: i64, message: &str) -> AppResult<()> {
    let kept: Option<String> = plans::table
        .find(plan_id)
        .select(plans::change_message)
        .first(conn)?;
    if let Some(joined) = joined_messages(kept, message) {
        diesel::update(plans::table.find(plan_id))
            .set(plans::change_message.eq(joined))
            .execute(conn)?;
    }
    Ok(())
}

/// The messages kept with `message` after them, or `None` when nothing changes: it repeats one
/// of them whole (a form sent twice) or there is no room left. One that does not fit whole is
/// cut short rather than lost, with an ellipsis saying so.
fn joined_messages(kept: Option<String>, message: &str) -> Option<String> {
    const BETWEEN: &str = "\n\n";
    let Some(kept) = kept else {
        return Some(message.chars().take(CHANGE_MESSAGES_MAX_CHARS).collect());
    };
    let repeats = kept == message
        || kept.starts_with(&format!("{message}{BETWEEN}"))
        || kept.ends_with(&format!("{BETWEEN}{message}"))
        || kept.contains(&format!("{BETWEEN}{message}{BETWEEN}"));
    let room = CHANGE_MESSAGES_MAX_CHARS.saturating_sub(kept.chars().count() + BETWEEN.len());
    if repeats || room < 2 {
        return None;
    }
    let added: String = if message.chars().count() <= room {
        message.to_string()
    } else {
        message.chars().take(room - 1).chain(['…']).collect()
    };
    Some(format!("{kept}{BETWEEN}{added}"))
}

pub fn set_change_requested(
    conn: &mut DbConn,
    plan_id: i64,
    message: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let updated = diesel::update(plans::table.find(plan_id))
        .filter(plans::status.eq("awaiting_confirmation"))
        .set((
            plans::status.eq("change_requested"),
            plans::change_requested_at.eq(now),
            plans::change_message.eq(message),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

#[cfg(test)]
mod change_message_tests {
    use super::{joined_messages, CHANGE_MESSAGES_MAX_CHARS};

    #[test]
    fn a_further_message_is_kept_unless_it_repeats_one_whole() {
        let first = Some("Not before May, please".to_string());
        assert_eq!(
            joined_messages(first.clone(), "No").as_deref(),
            Some("Not before May, please\n\nNo"),
            "part of an earlier message is a message of its own"
        );
        assert_eq!(joined_messages(first, "Not before May, please"), None);
        let two = Some("One\n\nTwo".to_string());
        assert_eq!(joined_messages(two.clone(), "One"), None);
        assert_eq!(joined_messages(two, "Two"), None);
    }

    #[test]
    fn a_message_past_the_room_left_is_cut_short_not_lost() {
        let full = Some("x".repeat(CHANGE_MESSAGES_MAX_CHARS - 10));
        let joined = joined_messages(full, &"y".repeat(50)).unwrap();
        assert_eq!(joined.chars().count(), CHANGE_MESSAGES_MAX_CHARS);
        assert!(joined.ends_with("yyyy…"), "{joined}");
        assert_eq!(
            joined_messages(Some("x".repeat(CHANGE_MESSAGES_MAX_CHARS)), "more"),
            None
        );
    }
}
