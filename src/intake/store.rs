//! Inserting referred cases; a reference the client already sent is skipped, never duplicated.

use std::borrow::Cow;

use chrono::{Duration, NaiveDateTime};
use diesel::{connection::SimpleConnection, prelude::*, Insertable};

use super::referral::NewReferral;
use crate::{
    cases::store::ScheduleUpdate,
    db::{pg_copy::BinaryRows, portable, schema::cases, DbConn},
    error::AppResult,
};

/// A new case's row. What every new case starts with (not vulnerable, no attempts) is left to the
/// columns' defaults: a bulk load then sends two values a row fewer.
#[derive(Insertable, Debug)]
#[diesel(table_name = cases)]
pub struct NewCaseRow {
    pub client_id: i64,
    pub reference: String,
    pub customer_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub region: Cow<'static, str>,
    pub timezone: Cow<'static, str>,
    pub amount_owed_minor: i64,
    pub currency: &'static str,
    pub days_in_arrears: i32,
    pub arrears_since: chrono::NaiveDate,
    pub notes: Option<String>,
    pub circumstances: Option<String>,
    pub preferred_contact_times: Option<String>,
    pub status: &'static str,
    pub priority_band: i32,
    pub next_contact_at: Option<NaiveDateTime>,
    pub contact_window_end: Option<NaiveDateTime>,
    pub referred_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewCaseRow {
    /// The referral's zone names (see [`NewReferral::zone_names`]) and region code come as the
    /// caller already has them.
    pub fn new(
        client_id: i64,
        referral: NewReferral,
        (timezone, region): (Cow<'static, str>, Cow<'static, str>),
        schedule: ScheduleUpdate,
        (now, today): (NaiveDateTime, chrono::NaiveDate),
    ) -> Self {
        NewCaseRow {
            client_id,
            arrears_since: today - Duration::days(referral.days_in_arrears.into()),
            reference: referral.reference,
            customer_name: referral.name,
            email: referral.email.map(String::from),
            phone: referral.phone,
            region,
            timezone,
            amount_owed_minor: referral.amount.minor,
            currency: referral.amount.currency.code(),
            days_in_arrears: referral.days_in_arrears,
            notes: referral.notes,
            circumstances: referral.circumstances,
            preferred_contact_times: referral.preferred_contact_times,
            status: schedule.status.as_str(),
            priority_band: schedule.priority_band,
            next_contact_at: schedule.next_contact_at,
            contact_window_end: schedule.contact_window_end,
            referred_at: now,
            updated_at: now,
        }
    }
}

impl NewCaseRow {
    /// The columns [`NewCaseRow::encode`] writes, in its order.
    fn copy_columns() -> impl diesel::pg::CopyTarget<Table = cases::table> {
        (
            cases::client_id,
            cases::reference,
            cases::customer_name,
            cases::email,
            cases::phone,
            cases::region,
            cases::timezone,
            cases::amount_owed_minor,
            cases::currency,
            cases::days_in_arrears,
            cases::arrears_since,
            cases::notes,
            cases::circumstances,
            cases::preferred_contact_times,
            cases::status,
            cases::priority_band,
            cases::next_contact_at,
            cases::contact_window_end,
            cases::referred_at,
            cases::updated_at,
        )
    }

    /// This row as one row of a binary `COPY` into [`Self::copy_columns`] (its id comes from
    /// the column's default).
    fn encode(&self, out: &mut BinaryRows) {
        out.row(20)
            .int8(self.client_id)
            .text(&self.reference)
            .text(&self.customer_name)
            .text_or_null(self.email.as_deref())
            .text_or_null(self.phone.as_deref())
            .text(&self.region)
            .text(&self.timezone)
            .int8(self.amount_owed_minor)
            .text(self.currency)
            .int4(self.days_in_arrears)
            .date(self.arrears_since)
            .text_or_null(self.notes.as_deref())
            .text_or_null(self.circumstances.as_deref())
            .text_or_null(self.preferred_contact_times.as_deref())
            .text(self.status)
            .int4(self.priority_band)
            .timestamp_or_null(self.next_contact_at)
            .timestamp_or_null(self.contact_window_end)
            .timestamp(self.referred_at)
            .timestamp(self.updated_at);
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

/// A chunk of new cases on PostgreSQL. The fast path streams them with `COPY`, which cannot skip
/// a reference the client already sent: a chunk holding one fails on the unique index, nothing
/// of it stays, and it is redone with `INSERT … ON CONFLICT DO NOTHING`. So is a chunk whose
/// `COPY` failed in a way that may pass ([`may_pass`]): two writers storing the same references
/// in opposite orders (a file that repeats a chunk's rows, in another order) wait on each other,
/// and PostgreSQL ends one of them as a deadlock. The redo stores them in reference order, so two
/// redos never wait on each other in a circle; it is tried again while it fails that way, up to
/// [`ATTEMPTS`] times. Each attempt runs in a savepoint inside the caller's transaction, so a
/// failed one leaves nothing behind (its `SET LOCAL` and its locks go with it).
fn insert_many_postgres(pg: &mut diesel::PgConnection, rows: &[NewCaseRow]) -> AppResult<usize> {
    let mut failed = match pg.transaction(|pg| copy_chunk_postgres(pg, rows)) {
        Err(e) if crate::db::violates_unique(&e, ONE_CASE_PER_REFERENCE) || may_pass(&e) => e,
        result => return Ok(result?),
    };
    for _ in 0..ATTEMPTS {
        failed = match pg.transaction(|pg| insert_chunk_postgres(pg, rows)) {
            Err(e) if may_pass(&e) => e,
            result => return Ok(result?),
        };
    }
    Err(failed.into())
}

/// How many times a chunk is redone after failures that may pass (see [`insert_many_postgres`]).
const ATTEMPTS: usize = 3;

/// A failure the same statement may not meet again: a deadlock (SQLSTATE 40P01) or a
/// serialization failure. diesel keeps no SQLSTATE and passes a deadlock on as a failure of
/// unknown kind, which is matched here rather than its message (a server may translate it):
/// a failure of that kind that is not transient fails every attempt and is reported as it was.
fn may_pass(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::Unknown | DatabaseErrorKind::SerializationFailure,
            _
        )
    )
}

/// The unique index on a client's references.
const ONE_CASE_PER_REFERENCE: &str = "cases_client_id_reference_key";

/// The rows as one binary `COPY` stream, then the referral counts per hour. The per-row trigger
/// that would count each case stands aside (`outreach.bulk`). No milestone rows: a case gets
/// one when it reaches its first milestone (migration 21).
fn copy_chunk_postgres(
    pg: &mut diesel::PgConnection,
    rows: &[NewCaseRow],
) -> diesel::QueryResult<usize> {
    use diesel::{pg::CopyFormat, sql_types::BigInt};
    if rows.is_empty() {
        return Ok(0);
    }
    let mut stream = BinaryRows::with_capacity(rows.len() * 320);
    let mut per_hour: std::collections::BTreeMap<(i64, NaiveDateTime), i64> = Default::default();
    // Written in queue order (the claim queue index's key; a stable sort, so rows with equal
    // keys keep the file's order): cases in arrears for different lengths of time belong all
    // over that index, and sorted neighbours share its pages (README, Benchmarks: reference
    // order measured about 3 % slower). Ids are given out in this order.
    let mut in_queue_order: Vec<&NewCaseRow> = rows.iter().collect();
    in_queue_order.sort_by_key(|row| (row.priority_band, row.arrears_since, row.referred_at));
    for row in in_queue_order {
        row.encode(&mut stream);
        *per_hour
            .entry((row.client_id, hour_of(row.referred_at)))
            .or_default() += 1;
    }
    let stream = stream.finish();
    // The statement triggers see the chunk's rows as a table kept in memory up to `work_mem`
    // and written to a temporary file past it: the default 4 MB holds about 12,000 short rows,
    // but a chunk whose rows carry long notes would go to disk.
    pg.batch_execute("SET LOCAL outreach.bulk = 'on'; SET LOCAL work_mem = '32MB'")?;
    diesel::copy_from(cases::table)
        .from_raw_data(NewCaseRow::copy_columns(), |out| {
            // Each write is one `CopyData` message, which the server reads whole into memory of
            // its own before taking a row from it: a whole chunk as one message (1.6 MB) cost it
            // fresh pages to fault in every time, and it could start no row before the last
            // byte had come.
            stream
                .chunks(COPY_MESSAGE_BYTES)
                .try_for_each(|piece| out.write_all(piece))
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(CopyFormat::Binary)
        .execute(pg)?;
    for ((client_id, hour), n) in per_hour {
        // Counted into this connection's shard, as the triggers do (migration 9).
        diesel::sql_query(
            "INSERT INTO milestone_counts (client_id, measure, hour, shard, n) \
             VALUES ($1, 'referred', $2, pg_backend_pid() % 8, $3) \
             ON CONFLICT (client_id, measure, hour, shard) DO UPDATE SET n = milestone_counts.n + EXCLUDED.n",
        )
        .bind::<BigInt, _>(client_id)
        .bind::<diesel::sql_types::Timestamp, _>(hour)
        .bind::<BigInt, _>(n)
        .execute(pg)?;
    }
    diesel::sql_query("SET LOCAL outreach.bulk = 'off'").execute(pg)?;
    Ok(rows.len())
}

/// A chunk's rows as the redo stores them (see [`insert_many_postgres`]): by reference, the
/// unique index's order, so two writers redoing chunks that share references meet them in the
/// same order (one waits for the other and skips what it stored); rows sharing one keep the
/// file's order, so the first of them is the one kept, as on SQLite.
fn in_reference_order(rows: &[NewCaseRow]) -> Vec<&NewCaseRow> {
    let mut sorted: Vec<&NewCaseRow> = rows.iter().collect();
    sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
    sorted
}

/// The most a `CopyData` message carries: libpq's own output buffer grows to about this.
const COPY_MESSAGE_BYTES: usize = 64 * 1024;

fn hour_of(at: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike;
    at.date().and_hms_opt(at.hour(), 0, 0).unwrap_or(at)
}

fn insert_chunk_postgres(
    pg: &mut diesel::PgConnection,
    rows: &[NewCaseRow],
) -> diesel::QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamp};
    if rows.is_empty() {
        return Ok(0);
    }
    let rows = in_reference_order(rows);
    let rows = rows.as_slice();
    fn col<'a, T>(rows: &[&'a NewCaseRow], f: impl Fn(&'a NewCaseRow) -> T) -> Vec<T> {
        rows.iter().map(|row| f(row)).collect()
    }
    // The statement trigger counts the new cases' referrals (migration 22): this path is the rare
    // one (a chunk repeating a reference), so it need not count them itself as `COPY` does.
    let query = diesel::sql_query(
        "INSERT INTO cases (client_id, reference, customer_name, email, phone, region, timezone, \
         amount_owed_minor, currency, days_in_arrears, arrears_since, notes, circumstances, \
         preferred_contact_times, status, priority_band, next_contact_at, contact_window_end, \
         referred_at, updated_at) \
         SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::int8[], $9::text[], $10::int4[], $11::date[], $12::text[], $13::text[], \
         $14::text[], $15::text[], $16::int4[], $17::timestamp[], $18::timestamp[], \
         $19::timestamp[], $20::timestamp[]) \
         ON CONFLICT (client_id, reference) DO NOTHING",
    )
    .bind::<Array<BigInt>, _>(col(rows, |r| r.client_id))
    .bind::<Array<Text>, _>(col(rows, |r| r.reference.as_str()))
    .bind::<Array<Text>, _>(col(rows, |r| r.customer_name.as_str()))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |r| r.email.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |r| r.phone.as_deref()))
    .bind::<Array<Text>, _>(col(rows, |r| r.region.as_ref()))
    .bind::<Array<Text>, _>(col(rows, |r| r.timezone.as_ref()))
    .bind::<Array<BigInt>, _>(col(rows, |r| r.amount_owed_minor))
    .bind::<Array<Text>, _>(col(rows, |r| r.currency))
    .bind::<Array<Integer>, _>(col(rows, |r| r.days_in_arrears))
    .bind::<Array<Date>, _>(col(rows, |r| r.arrears_since))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |r| r.notes.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |r| r.circumstances.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |r| r.preferred_contact_times.as_deref()))
    .bind::<Array<Text>, _>(col(rows, |r| r.status))
    .bind::<Array<Integer>, _>(col(rows, |r| r.priority_band))
    .bind::<Array<Nullable<Timestamp>>, _>(col(rows, |r| r.next_contact_at))
    .bind::<Array<Nullable<Timestamp>>, _>(col(rows, |r| r.contact_window_end))
    .bind::<Array<Timestamp>, _>(col(rows, |r| r.referred_at))
    .bind::<Array<Timestamp>, _>(col(rows, |r| r.updated_at));
    query.execute(pg)
}

/// Inserts many cases; returns how many were new. PostgreSQL takes a chunk as one statement;
/// SQLite (no batch `ON CONFLICT` in diesel) row by row inside the caller's transaction,
/// which SQLite runs at much the same speed.
pub fn insert_many(conn: &mut DbConn, rows: &[NewCaseRow]) -> AppResult<usize> {
    match conn {
        DbConn::Postgres(pg) => insert_many_postgres(pg, rows),
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
