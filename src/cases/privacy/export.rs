//! Everything held about a customer, as one document (a subject access request).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::{at, erased_at, maybe};
use crate::{
    cases::Case,
    db::{
        schema::{
            contact_attempts, debriefs, escalations, follow_ups, holds, outbox, plans,
            policy_exceptions, support_links, support_mentions, support_organisations, users,
            vulnerabilities,
        },
        DbConn,
    },
    error::AppResult,
};

type CallRow = (NaiveDateTime, String, bool, Option<String>);
type HoldRow = (
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);
type VulnerabilityRow = (
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    Option<String>,
);
type PlanTerms = (
    i32,
    i64,
    String,
    String,
    NaiveDate,
    String,
    String,
    NaiveDateTime,
);
type PlanRow = (
    PlanTerms,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
);
type SupportRow = (String, String, NaiveDateTime, Option<NaiveDateTime>);
type EmailRow = (String, String, String, NaiveDateTime, Option<NaiveDateTime>);

/// Everything held about the customer of `case`, as one JSON document.
pub fn export(conn: &mut DbConn, case: &Case) -> AppResult<Value> {
    let id = case.id;
    let calls: Vec<CallRow> = contact_attempts::table
        .filter(contact_attempts::case_id.eq(id))
        .order(contact_attempts::attempted_at)
        .select((
            contact_attempts::attempted_at,
            contact_attempts::outcome,
            contact_attempts::conversation,
            contact_attempts::notes,
        ))
        .load(conn)?;
    // Calls a handler may have made but recorded nothing about (their claim ran out).
    let unrecorded = crate::cases::history::unrecorded_calls_of(conn, id)?;
    let holds: Vec<HoldRow> = holds::table
        .filter(holds::case_id.eq(id))
        .order(holds::id)
        .select((
            holds::kind,
            holds::starts_at,
            holds::ends_at,
            holds::lifted_at,
            holds::note,
        ))
        .load(conn)?;
    let vulnerabilities: Vec<VulnerabilityRow> = vulnerabilities::table
        .left_join(users::table.on(users::id.eq(vulnerabilities::recorded_by)))
        .filter(vulnerabilities::case_id.eq(id))
        .order(vulnerabilities::id)
        .select((
            vulnerabilities::drivers,
            vulnerabilities::consent,
            vulnerabilities::consent_how,
            vulnerabilities::consented_by,
            vulnerabilities::note,
            vulnerabilities::recorded_at,
            users::display_name.nullable(),
        ))
        .load(conn)?;
    let plans: Vec<PlanRow> = plans::table
        .filter(plans::case_id.eq(id))
        .order(plans::version)
        .select((
            (
                plans::version,
                plans::amount_minor,
                plans::currency,
                plans::frequency,
                plans::first_payment_on,
                plans::email,
                plans::status,
                plans::created_at,
            ),
            plans::confirmed_at,
            plans::change_requested_at,
            plans::change_message,
            plans::income_expenditure,
            plans::affordability_note,
        ))
        .load(conn)?;
    let support: Vec<SupportRow> = support_links::table
        .inner_join(support_organisations::table)
        .filter(support_links::case_id.eq(id))
        .order(support_links::id)
        .select((
            support_organisations::name,
            support_links::channel,
            support_links::created_at,
            support_links::first_opened_at,
        ))
        .load(conn)?;
    let mentioned: Vec<(String, NaiveDateTime)> = support_mentions::table
        .inner_join(
            support_organisations::table
                .on(support_organisations::id.eq(support_mentions::organisation_id)),
        )
        .filter(support_mentions::case_id.eq(id))
        .order(support_mentions::id)
        .select((support_organisations::name, support_mentions::created_at))
        .load(conn)?;
    // The customer's own messages: a supervisor's alert about the case is staff mail, to staff
    // addresses, and no part of what is held about the customer's contact.
    let emails: Vec<EmailRow> = outbox::table
        .filter(outbox::case_id.eq(id))
        .filter(outbox::kind.ne(crate::mail::outbox::kind::SUPERVISOR_ALERT))
        .order(outbox::id)
        .select((
            outbox::kind,
            outbox::recipient,
            outbox::status,
            outbox::created_at,
            outbox::sent_at,
        ))
        .load(conn)?;
    let erased_at = erased_at(conn, id)?;
    Ok(json!({
        "case": case,
        "erased_at": maybe(erased_at),
        "calls": calls.into_iter().map(|(when, outcome, conversation, notes)| json!({
            "attempted_at": at(when), "outcome": outcome, "conversation": conversation, "notes": notes,
        })).collect::<Vec<_>>(),
        "calls_without_outcome": unrecorded.into_iter().map(at).collect::<Vec<_>>(),
        "holds": holds.into_iter().map(|(kind, starts, ends, lifted, note)| json!({
            "kind": kind, "starts_at": at(starts), "ends_at": maybe(ends), "lifted_at": maybe(lifted), "note": note,
        })).collect::<Vec<_>>(),
        "vulnerabilities": vulnerabilities.into_iter().map(|(drivers, consent, how, by, note, when, recorder)| json!({
            "drivers": drivers.split(',').collect::<Vec<_>>(), "consent": consent, "consent_how": how,
            "consented_by": by.unwrap_or_else(|| "the customer".into()), "note": note, "recorded_at": at(when),
            "recorded_by": recorder,
        })).collect::<Vec<_>>(),
        "plans": plans.into_iter().map(|((version, amount, currency, frequency, first, email, status, created), confirmed, change_at, change, spending, affordability)| json!({
            "version": version, "amount_minor": amount, "currency": currency, "frequency": frequency,
            "first_payment_on": first, "email": email, "status": status, "proposed_at": at(created),
            "confirmed_at": maybe(confirmed), "change_asked_at": maybe(change_at), "change_asked_for": change,
            "income_and_spending": spending.and_then(|s| serde_json::from_str::<Value>(&s).ok()),
            "affordability_note": affordability,
        })).collect::<Vec<_>>(),
        "staff_records": staff_records(conn, id)?,
        "support_links": support.into_iter().map(|(organisation, channel, sent, opened)| json!({
            // A repeat made before links were unique (migration 28) went the same way.
            "organisation": organisation, "sent_by": channel.split(" (repeat").next(), "sent_at": at(sent), "first_opened_at": maybe(opened),
        })).collect::<Vec<_>>(),
        "support_mentioned_on_calls": mentioned.into_iter().map(|(organisation, when)| json!({
            "organisation": organisation, "mentioned_at": at(when),
        })).collect::<Vec<_>>(),
        "emails": emails.into_iter().map(|(kind, to, status, queued, sent)| json!({
            "kind": kind, "to": to, "status": status, "queued_at": at(queued), "sent_at": maybe(sent),
        })).collect::<Vec<_>>(),
        "emails_stopped": emails_stopped(conn, id)?,
    }))
}

/// The customer's addresses that asked for no more e-mail, and since when.
fn emails_stopped(conn: &mut DbConn, id: i64) -> AppResult<Vec<Value>> {
    let mut stopped = Vec::new();
    let mut addresses = crate::mail::outbox::addresses_of_case(conn, id)?;
    addresses.sort_by_key(|a| a.to_lowercase());
    addresses.dedup_by_key(|a| a.to_lowercase());
    for address in addresses {
        if let Some(since) = crate::mail::outbox::stopped_since(conn, &address)? {
            stopped.push(json!({"email": address, "since": at(since)}));
        }
    }
    Ok(stopped)
}

/// What staff wrote about the customer outside the call record: escalations, follow-ups after a
/// difficult call, debriefs, and out-of-policy arrangements.
fn staff_records(conn: &mut DbConn, id: i64) -> AppResult<Value> {
    let escalations: Vec<(String, Option<String>, NaiveDateTime)> = escalations::table
        .filter(escalations::case_id.eq(id))
        .order(escalations::id)
        .select((escalations::kind, escalations::note, escalations::raised_at))
        .load(conn)?;
    let follow_ups: Vec<(String, Option<String>, NaiveDateTime)> = follow_ups::table
        .filter(follow_ups::case_id.eq(id))
        .order(follow_ups::id)
        .select((
            follow_ups::reason,
            follow_ups::note,
            follow_ups::requested_at,
        ))
        .load(conn)?;
    let debriefs: Vec<(String, NaiveDateTime)> = debriefs::table
        .filter(debriefs::case_id.eq(id))
        .order(debriefs::id)
        .select((debriefs::body, debriefs::created_at))
        .load(conn)?;
    let exceptions: Vec<(String, String, String, NaiveDateTime)> = policy_exceptions::table
        .filter(policy_exceptions::case_id.eq(id))
        .order(policy_exceptions::id)
        .select((
            policy_exceptions::arrangement,
            policy_exceptions::reason,
            policy_exceptions::status,
            policy_exceptions::created_at,
        ))
        .load(conn)?;
    Ok(json!({
        "escalations": escalations.into_iter().map(|(kind, note, when)| json!({
            "kind": kind, "note": note, "raised_at": at(when),
        })).collect::<Vec<_>>(),
        "follow_ups": follow_ups.into_iter().map(|(reason, note, when)| json!({
            "reason": reason, "note": note, "requested_at": at(when),
        })).collect::<Vec<_>>(),
        "debriefs": debriefs.into_iter().map(|(body, when)| json!({
            "body": body, "written_at": at(when),
        })).collect::<Vec<_>>(),
        "arrangements": exceptions.into_iter().map(|(arrangement, reason, status, when)| json!({
            "arrangement": arrangement, "reason": reason, "status": status, "proposed_at": at(when),
        })).collect::<Vec<_>>(),
    }))
}
