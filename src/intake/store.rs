//! Inserting referred cases; a reference the client already sent is skipped, never duplicated.

use chrono::{Duration, NaiveDateTime};
use diesel::{prelude::*, Insertable};

use super::referral::NewReferral;
use crate::{
    cases::store::ScheduleUpdate,
    db::{portable, schema::cases, DbConn},
    error::AppResult,
};

#[derive(Insertable, Debug)]
#[diesel(table_name = cases)]
pub struct NewCaseRow {
    pub client_id: i64,
    pub reference: String,
    pub customer_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub region: String,
    pub timezone: String,
    pub amount_owed_minor: i64,
    pub currency: String,
    pub days_in_arrears: i32,
    pub arrears_since: chrono::NaiveDate,
    pub notes: Option<String>,
    pub circumstances: Option<String>,
    pub preferred_contact_times: Option<String>,
    pub status: String,
    pub vulnerable: bool,
    pub priority_band: i32,
    pub next_contact_at: Option<NaiveDateTime>,
    pub contact_window_end: Option<NaiveDateTime>,
    pub attempts_count: i32,
    pub referred_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewCaseRow {
    pub fn new(
        client_id: i64,
        referral: NewReferral,
        schedule: ScheduleUpdate,
        now: NaiveDateTime,
    ) -> Self {
        NewCaseRow {
            client_id,
            arrears_since: now.date() - Duration::days(referral.days_in_arrears.into()),
            reference: referral.reference,
            customer_name: referral.name,
            email: referral.email.map(|e| e.to_string()),
            phone: referral.phone,
            region: referral.region.as_code(),
            timezone: referral.timezone.name().to_string(),
            amount_owed_minor: referral.amount.minor,
            currency: referral.amount.currency.code().to_string(),
            days_in_arrears: referral.days_in_arrears,
            notes: referral.notes,
            circumstances: referral.circumstances,
            preferred_contact_times: referral.preferred_contact_times,
            status: schedule.status.as_str().to_string(),
            vulnerable: false,
            priority_band: schedule.priority_band,
            next_contact_at: schedule.next_contact_at,
            contact_window_end: schedule.contact_window_end,
            attempts_count: 0,
            referred_at: now,
            updated_at: now,
        }
    }
}

/// Inserts one case; `None` when the client already sent this reference.
pub fn insert_one(conn: &mut DbConn, row: &NewCaseRow) -> AppResult<Option<i64>> {
    let query = diesel::insert_into(cases::table)
        .values(row)
        .on_conflict((cases::client_id, cases::reference))
        .do_nothing()
        .returning(cases::id);
    Ok(portable::get_result(query, conn).optional()?)
}

/// Inserts many cases; returns how many were new. PostgreSQL takes them as one multi-row
/// statement; SQLite (no batch `ON CONFLICT` in diesel) row by row inside the caller's
/// transaction, which SQLite runs at much the same speed.
pub fn insert_many(conn: &mut DbConn, rows: &[NewCaseRow]) -> AppResult<usize> {
    match conn {
        DbConn::Postgres(pg) => {
            if rows.is_empty() {
                return Ok(0);
            }
            Ok(diesel::insert_into(cases::table)
                .values(rows)
                .on_conflict((cases::client_id, cases::reference))
                .do_nothing()
                .execute(pg)?)
        }
        DbConn::Sqlite(sqlite) => {
            let mut created = 0;
            for row in rows {
                created += diesel::insert_into(cases::table)
                    .values(row)
                    .on_conflict((cases::client_id, cases::reference))
                    .do_nothing()
                    .execute(sqlite)?;
            }
            Ok(created)
        }
    }
}
