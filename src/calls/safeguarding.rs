//! Safeguarding: recording vulnerability (with consent) and the risk-to-life path, which answers
//! with the emergency numbers for where the customer is (`calls::emergency`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use super::emergency::{self, EmergencyNumbers};
use crate::{
    audit::{self, Actor},
    cases::{self, holds},
    db::{
        schema::{cases as cases_table, escalations, holds as holds_table, users, vulnerabilities},
        DbConn,
    },
    error::{AppError, AppResult, FieldErrors},
    mail::outbox,
    payment_guard,
};

pub const DRIVERS: [&str; 4] = ["health", "life_events", "resilience", "capability"];

/// A vulnerability record as the call screen or API sends it.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VulnerabilityRequest {
    /// Any of `health`, `life_events`, `resilience`, `capability`.
    #[serde(default)]
    pub drivers: Vec<String>,
    /// The customer agreed to this being recorded.
    #[serde(default)]
    pub consent: bool,
    /// How consent was given and what the customer was told.
    pub consent_how: Option<String>,
    /// Who consented: empty for the customer themselves, otherwise the name and role of someone
    /// with authority to act for them (for example "Jo Smith, power of attorney").
    pub consented_by: Option<String>,
    pub note: Option<String>,
}

impl VulnerabilityRequest {
    /// Who consented, as stored: `None` is the customer themselves.
    fn consented_by(&self) -> Option<&str> {
        self.consented_by
            .as_deref()
            .map(str::trim)
            .filter(|who| !who.is_empty())
    }
}

impl VulnerabilityRequest {
    fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut add =
            |f: &str, m: &str| errors.entry(f.to_string()).or_default().push(m.to_string());
        if self.drivers.is_empty() {
            add(
                "drivers",
                "choose at least one: health, life events, resilience or capability",
            );
        }
        if self.drivers.iter().any(|d| !DRIVERS.contains(&d.as_str())) {
            add(
                "drivers",
                "must be health, life_events, resilience or capability",
            );
        }
        if !self.consent {
            add(
                "consent",
                "the customer's explicit consent is needed to record this",
            );
        }
        if self
            .consent_how
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .is_empty()
        {
            add(
                "consent_how",
                "say how consent was given and what the customer was told",
            );
        }
        for (field, text) in [
            ("note", self.note.as_deref()),
            ("consent_how", self.consent_how.as_deref()),
            ("consented_by", self.consented_by.as_deref()),
        ] {
            if let Some(Err(message)) = text.map(|t| payment_guard::check_text(t, 1000)) {
                add(field, &message);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Records vulnerability; the case is flagged from now on and rises in the queue.
pub fn record_vulnerability(
    conn: &mut DbConn,
    actor: Actor,
    staff_id: i64,
    case_id: i64,
    request: &VulnerabilityRequest,
    now: NaiveDateTime,
) -> AppResult<()> {
    request.check().map_err(AppError::fields)?;
    let case = cases::store::find_claimed_by(conn, case_id, staff_id, now)?;
    diesel::insert_into(vulnerabilities::table)
        .values((
            vulnerabilities::case_id.eq(case_id),
            vulnerabilities::drivers.eq(request.drivers.join(",")),
            vulnerabilities::consent.eq(true),
            vulnerabilities::consent_how.eq(request.consent_how.as_deref().map(str::trim)),
            vulnerabilities::consented_by.eq(request.consented_by()),
            vulnerabilities::note.eq(request
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())),
            vulnerabilities::recorded_by.eq(staff_id),
            vulnerabilities::recorded_at.eq(now),
        ))
        .execute(conn)?;
    flag_vulnerable(conn, &case, true, now)?;
    audit::record(
        conn,
        actor,
        // Which drivers (health is special-category data) stays in the consented record; the
        // audit trail, read more widely, says only that one was made.
        audit::Entry::new("vulnerability_recorded", "case", Some(case_id))
            .client(Some(case.client_id)),
    )
}

/// Flags the case vulnerable (or no longer), with the queue priority that goes with it.
fn flag_vulnerable(
    conn: &mut DbConn,
    case: &cases::Case,
    vulnerable: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    let band = cases::priority::band(case.callback_at.is_some(), vulnerable);
    diesel::update(cases_table::table.find(case.id))
        .set((
            cases_table::vulnerable.eq(vulnerable),
            cases_table::priority_band.eq(band),
            cases_table::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The customer withdrew their consent to a vulnerability record: it is deleted (consent was
/// its only ground), and the case is no longer flagged unless another record or an escalated
/// vulnerability still stands. The trail says a record went, not what it held. Deleting one
/// already gone (a double click) does nothing more.
pub fn withdraw_consent(
    conn: &mut DbConn,
    actor: Actor,
    staff_id: i64,
    (case_id, record_id): (i64, i64),
    now: NaiveDateTime,
) -> AppResult<()> {
    let case = cases::store::find_claimed_by(conn, case_id, staff_id, now)?;
    let deleted = diesel::delete(
        vulnerabilities::table
            .filter(vulnerabilities::id.eq(record_id))
            .filter(vulnerabilities::case_id.eq(case_id)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Ok(());
    }
    let others = diesel::select(diesel::dsl::exists(
        vulnerabilities::table.filter(vulnerabilities::case_id.eq(case_id)),
    ))
    .get_result::<bool>(conn)?;
    if !others && !cases::holds::stands(conn, case_id, "vulnerability_escalated")? {
        flag_vulnerable(conn, &case, false, now)?;
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("vulnerability_consent_withdrawn", "case", Some(case_id))
            .client(Some(case.client_id)),
    )
}

/// How long the same person raising a risk to life again counts as the alarm already raised.
const RAISED_AGAIN_MINUTES: i64 = 10;

/// Whether this is the alarm `staff_id` raised for the case minutes ago, sent again (a double
/// click, a refreshed page, a retried request): their escalation is still open, its hold still
/// stops contact, and there is no new note. Anything else is raised again: a second hold,
/// escalation and round of supervisor e-mails are what a new alarm needs.
fn is_repeat(
    conn: &mut DbConn,
    staff_id: i64,
    case_id: i64,
    note: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let earlier_note: Option<Option<String>> = escalations::table
        .filter(escalations::case_id.eq(case_id))
        .filter(escalations::kind.eq("risk_to_life"))
        .filter(escalations::raised_by.eq(staff_id))
        .filter(escalations::raised_at.ge(now - chrono::Duration::minutes(RAISED_AGAIN_MINUTES)))
        .filter(escalations::resolved_at.is_null())
        .order(escalations::id.desc())
        .select(escalations::note)
        .first(conn)
        .optional()?;
    let Some(earlier_note) = earlier_note else {
        return Ok(false);
    };
    let hold_in_force: i64 = holds_table::table
        .filter(holds_table::case_id.eq(case_id))
        .filter(holds_table::kind.eq("risk_to_life"))
        .filter(holds_table::lifted_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(hold_in_force > 0 && (note.is_none() || note == earlier_note.as_deref()))
}

/// Risk to life: the case goes on hold at once, supervisors are alerted on their page and by
/// e-mail, and the handler gets the emergency numbers for the customer's region. Unlike what is
/// recorded about a call, any staff member may raise it on any case, on a call or after one:
/// a hold only stops contact, and a worry about someone's life must never wait for a claim.
pub fn raise_risk_to_life(
    conn: &mut DbConn,
    actor: Actor,
    staff_id: i64,
    case_id: i64,
    note: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<EmergencyNumbers> {
    if let Some(Err(message)) = note.map(|n| payment_guard::check_text(n, 2000)) {
        return Err(AppError::field("note", message));
    }
    let case = cases::store::find_locked(conn, case_id)?;
    if is_repeat(conn, staff_id, case_id, note, now)? {
        return emergency::numbers_for(conn, &case.region);
    }
    holds::place(
        conn,
        holds::NewHold {
            case_id,
            kind: "risk_to_life",
            starts_at: now,
            ends_at: None,
            note,
            created_by: Some(staff_id),
        },
        now,
    )?;
    // The handler on the call keeps it: they still record what happened and the help offered,
    // and recording the outcome puts the case on hold. Anyone else's claim ends now.
    if case.ensure_claimed_by(staff_id, now).is_ok() {
        super::welfare::request_follow_up(
            conn,
            staff_id,
            Some(case_id),
            "Risk to life raised on a call: debrief",
            now,
        )?;
    } else {
        // The rules read the new hold from the database; the locked row is still current.
        let ended = cases::store::keep_possible_call(conn, case.clone(), now)?;
        cases::schedule::reschedule(conn, &ended, now.and_utc())?;
    }
    let escalation_id: i64 = crate::db::portable::get_result(
        diesel::insert_into(escalations::table)
            .values((
                escalations::case_id.eq(case_id),
                escalations::kind.eq("risk_to_life"),
                escalations::note.eq(note),
                escalations::raised_by.eq(staff_id),
                escalations::raised_at.eq(now),
            ))
            .returning(escalations::id),
        conn,
    )?;
    let supervisors: Vec<String> = users::table
        .filter(users::role.eq("supervisor"))
        .filter(users::active.eq(true))
        .select(users::email)
        .load(conn)?;
    for email in supervisors {
        outbox::enqueue(
            conn,
            outbox::kind::SUPERVISOR_ALERT,
            Some(case_id),
            &email,
            &serde_json::json!({"case_id": case_id, "escalation_id": escalation_id, "kind": "risk_to_life"}),
            now,
        )?;
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("risk_to_life_raised", "case", Some(case_id))
            .client(Some(case.client_id)),
    )?;
    emergency::numbers_for(conn, &case.region)
}

/// Whether this staff member raised a risk to life on this case (the only escalation there is).
pub fn raised_risk_to_life(conn: &mut DbConn, case_id: i64, staff_id: i64) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        escalations::table
            .filter(escalations::case_id.eq(case_id))
            .filter(escalations::kind.eq("risk_to_life"))
            .filter(escalations::raised_by.eq(staff_id)),
    ))
    .get_result(conn)?)
}

/// The emergency numbers for where a case's customer is, for staff who may be with them: the
/// handler holding the case, whoever raised a risk to life on it, or a supervisor. Anyone else is
/// told the case is not found (ids reveal nothing). The look is audited as a view of the case.
pub fn emergency_numbers_for_case(
    conn: &mut DbConn,
    actor: Actor,
    staff_id: i64,
    supervisor: bool,
    case_id: i64,
) -> AppResult<EmergencyNumbers> {
    let case = cases::store::find(conn, case_id)?;
    if !(supervisor || case.held_by(staff_id) || raised_risk_to_life(conn, case_id, staff_id)?) {
        return Err(AppError::NotFound);
    }
    audit::record(
        conn,
        actor,
        audit::Entry::new("case_viewed", "case", Some(case_id))
            .client(Some(case.client_id))
            .detail("emergency numbers"),
    )?;
    emergency::numbers_for(conn, &case.region)
}
