//! Referrals in: from the API, the client portal's CSV upload and the command line. Every route
//! ends in [`Intake::refer`] or [`Intake::refer_batch`].

pub mod api;
pub mod csv_import;
mod fields;
pub mod referral;
pub mod store;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::{
    audit::{self, Actor},
    cases::{
        self,
        schedule::decide,
        store::{find_by_reference, ScheduleUpdate},
        Case,
    },
    db::DbConn,
    error::{AppError, AppResult},
    scheduling::{next_contact, policy::ClientPolicies, ContactHistory, HolidayCalendar},
};
use referral::NewReferral;
use store::NewCaseRow;

/// One client's referrals being taken in: its policy and holiday calendars are loaded once.
#[derive(Clone)]
pub struct Intake {
    pub client_id: i64,
    policies: ClientPolicies,
    calendars: HashMap<String, HolidayCalendar>,
    /// A new case has no history, so its first contact time depends only on its zones and
    /// region: computed once per pair for a whole import (zones, then region, so a look-up
    /// needs no key built).
    first_contact: HashMap<String, HashMap<String, ScheduleUpdate>>,
    /// The instant `first_contact` is for, with its UK date: a referral's days in arrears count
    /// back from the client's day, the one reports use, not UTC's (an hour behind in summer).
    first_contact_at: Option<(DateTime<Utc>, chrono::NaiveDate)>,
}

pub enum Referred {
    Created(Case),
    AlreadyReferred(Case),
}

impl Intake {
    pub fn for_client(conn: &mut DbConn, client_id: i64) -> AppResult<Intake> {
        if !crate::accounts::store::client_exists(conn, client_id)? {
            return Err(AppError::NotFound);
        }
        Ok(Intake {
            client_id,
            policies: cases::policy_store::policies_for(conn, client_id)?,
            calendars: HashMap::new(),
            first_contact: HashMap::new(),
            first_contact_at: None,
        })
    }

    /// The row for a new case, scheduled for its first allowed contact.
    pub fn row(
        &mut self,
        conn: &mut DbConn,
        referral: NewReferral,
        now: DateTime<Utc>,
    ) -> AppResult<NewCaseRow> {
        let today = match self.first_contact_at {
            Some((at, today)) if at == now => today,
            _ => {
                self.first_contact.clear();
                let today = crate::reports::periods::uk_today(now);
                self.first_contact_at = Some((now, today));
                today
            }
        };
        let timezones = referral.zone_names();
        let region = referral.region.code();
        let known = self
            .first_contact
            .get(timezones.as_ref())
            .and_then(|by_region| by_region.get(region.as_ref()));
        let schedule = match known {
            Some(schedule) => *schedule,
            None => {
                if !self.calendars.contains_key(region.as_ref()) {
                    let calendar = cases::policy_store::calendar_for(conn, &region)?;
                    self.calendars.insert(region.to_string(), calendar);
                }
                let history = ContactHistory::default();
                let policy = self.policies.for_region(&region);
                let zones = referral.zones();
                let calendar = &self.calendars[region.as_ref()];
                let next = next_contact(&policy, &zones, calendar, &history, now);
                let schedule = decide(next, &history, false, now);
                self.first_contact
                    .entry(timezones.to_string())
                    .or_default()
                    .insert(region.to_string(), schedule);
                schedule
            }
        };
        Ok(NewCaseRow::new(
            self.client_id,
            referral,
            (timezones, region),
            schedule,
            (now.naive_utc(), today),
        ))
    }

    pub fn refer(
        &mut self,
        conn: &mut DbConn,
        actor: Actor,
        referral: NewReferral,
        now: DateTime<Utc>,
    ) -> AppResult<Referred> {
        let reference = referral.reference.clone();
        let row = self.row(conn, referral, now)?;
        match store::insert_one(conn, &row)? {
            Some(id) => {
                audit::record(
                    conn,
                    actor,
                    audit::Entry::new("case_referred", "case", Some(id))
                        .client(Some(self.client_id)),
                )?;
                Ok(Referred::Created(cases::store::find(conn, id)?))
            }
            None => {
                let case =
                    find_by_reference(conn, self.client_id, &reference)?.ok_or_else(|| {
                        // Not naming the reference: it identifies a customer, and this goes
                        // to the log.
                        AppError::Internal(anyhow::anyhow!(
                            "a case vanished after a conflict on its reference"
                        ))
                    })?;
                // The answer is the existing case: a read of it, audited like any other.
                audit::record(
                    conn,
                    actor,
                    audit::Entry::new("case_viewed", "case", Some(case.id))
                        .client(Some(self.client_id))
                        .detail("referred again"),
                )?;
                Ok(Referred::AlreadyReferred(case))
            }
        }
    }

    /// Inserts many already-parsed referrals; returns how many were new.
    pub fn refer_batch(
        &mut self,
        conn: &mut DbConn,
        actor: Actor,
        referrals: Vec<NewReferral>,
        now: DateTime<Utc>,
    ) -> AppResult<usize> {
        let count = referrals.len();
        let mut rows = Vec::with_capacity(count);
        for referral in referrals {
            rows.push(self.row(conn, referral, now)?);
        }
        let created = store::insert_many(conn, &rows)?;
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("cases_imported", self.client_id)
                .detail(format!("{created} new of {count} rows")),
        )?;
        Ok(created)
    }
}
