//! CSV import: the client portal's upload and `outreach import` both come here. The header row
//! uses the API's field names. Good rows are kept, every bad row is reported with its line number
//! and reasons, and importing the same file again creates nothing new.

use std::{
    io::Read,
    sync::{mpsc::Receiver, Mutex},
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{referral::ReferralRequest, Intake};
use crate::{
    audit::Actor,
    db::{self, DbConn},
    error::{AppError, AppResult},
};

/// Rows written per transaction: large enough for throughput, small enough that a failure loses
/// little and progress is visible.
const CHUNK: usize = 5000;

const REQUIRED: [&str; 6] = [
    "reference",
    "name",
    "region",
    "amount_owed_minor",
    "currency",
    "days_in_arrears",
];

#[derive(Debug, Default, Serialize)]
pub struct RowError {
    pub line: u64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    /// Rows whose reference this client had already sent.
    pub already_present: usize,
    pub errors: Vec<RowError>,
}

/// Turns CRLF into LF as the file streams in: the CSV reader's line numbers then match what a
/// person sees in their editor whichever line endings the file has.
struct LfLines<R> {
    inner: R,
    pending_cr: bool,
}

impl<R: Read> Read for LfLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                if self.pending_cr {
                    self.pending_cr = false;
                    if let Some(first) = buf.first_mut() {
                        *first = b'\r';
                        return Ok(1);
                    }
                }
                return Ok(0);
            }
            let mut out = 0;
            let mut carried = std::mem::take(&mut self.pending_cr);
            let chunk = buf[..n].to_vec();
            for (i, &b) in chunk.iter().enumerate() {
                if carried && b != b'\n' {
                    buf[out] = b'\r';
                    out += 1;
                }
                carried = false;
                if b == b'\r' {
                    if i + 1 == n {
                        self.pending_cr = true;
                    } else if chunk[i + 1] != b'\n' {
                        buf[out] = b;
                        out += 1;
                    }
                } else {
                    buf[out] = b;
                    out += 1;
                }
            }
            if out > 0 {
                return Ok(out);
            }
        }
    }
}

/// Where each known column is in the file, found once from the header row (any order, any case).
struct Columns {
    positions: Vec<(&'static str, usize)>,
}

/// Every column a row may have, with the API's field names.
const KNOWN: [&str; 13] = [
    "reference",
    "name",
    "email",
    "phone",
    "region",
    "timezone",
    "other_timezones",
    "amount_owed_minor",
    "currency",
    "days_in_arrears",
    "notes",
    "circumstances",
    "preferred_contact_times",
];

impl Columns {
    fn of(headers: &csv::StringRecord) -> Columns {
        let positions = KNOWN
            .iter()
            .filter_map(|name| {
                headers
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case(name))
                    .map(|i| (*name, i))
            })
            .collect();
        Columns { positions }
    }

    /// The row's value for a column, trimmed; `None` when the file lacks the column or the cell
    /// is empty.
    fn get(&self, record: &csv::StringRecord, name: &str) -> Option<String> {
        self.positions
            .iter()
            .find(|(known, _)| *known == name)
            .and_then(|(_, i)| record.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }
}

fn request_from(columns: &Columns, record: &csv::StringRecord) -> ReferralRequest {
    let get = |name: &str| columns.get(record, name);
    ReferralRequest {
        reference: get("reference").unwrap_or_default(),
        name: get("name").unwrap_or_default(),
        email: get("email"),
        phone: get("phone"),
        region: get("region").unwrap_or_default(),
        timezone: get("timezone"),
        // Several zones in one cell, separated by spaces or semicolons.
        other_timezones: get("other_timezones").map(|cell| {
            cell.split([' ', ';'])
                .filter(|z| !z.is_empty())
                .map(str::to_string)
                .collect()
        }),
        amount_owed_minor: get("amount_owed_minor").map(Value::String),
        currency: get("currency").unwrap_or_default(),
        days_in_arrears: get("days_in_arrears").map(Value::String),
        notes: get("notes"),
        circumstances: get("circumstances"),
        preferred_contact_times: get("preferred_contact_times"),
    }
}

/// Reads the CSV and imports it chunk by chunk, each chunk in its own transaction, spread over
/// the `writers` given (the command line passes two on PostgreSQL so the database works on two
/// chunks at once; the portal passes its one). `progress` is told how many bytes were read.
pub fn import<R: Read + Send>(
    writers: &mut [&mut DbConn],
    client_id: i64,
    actor: Actor,
    source: R,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> AppResult<ImportReport> {
    let Some((first, others)) = writers.split_first_mut() else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "an import needs a connection"
        )));
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(LfLines {
            inner: source,
            pending_cr: false,
        });
    let headers = reader
        .headers()
        .map_err(|e| AppError::bad_request(format!("The file is not readable CSV: {e}")))?
        .clone();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !headers.iter().any(|h| h.trim().eq_ignore_ascii_case(r)))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::bad_request(format!(
            "The header row is missing: {}. Expected columns: {}, and optionally email, phone, timezone, other_timezones, notes, circumstances, preferred_contact_times.",
            missing.join(", "),
            REQUIRED.join(", ")
        )));
    }
    let intake = Intake::for_client(first, client_id)?;
    // Reading and checking rows runs on its own thread while the writers store earlier chunks,
    // so the parser and the database work at the same time.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Parsed>(others.len() + 2);
    let chunks = Chunks::new(receiver);
    let mut report = std::thread::scope(|scope| {
        let columns = Columns::of(&headers);
        scope.spawn(move || parse_chunks(&mut reader, &columns, &sender));
        let helpers: Vec<_> = others
            .iter_mut()
            .map(|conn| {
                let (chunks, mut intake) = (&chunks, intake.clone());
                scope.spawn(move || chunks.write(conn, &mut intake, actor, now, |_| {}))
            })
            .collect();
        let mut report = chunks.write(first, &mut intake.clone(), actor, now, &mut progress)?;
        for helper in helpers {
            let theirs = helper
                .join()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("an import writer panicked")))??;
            report.absorb(theirs);
        }
        Ok::<ImportReport, AppError>(report)
    })?;
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// Parsed chunks waiting for a writer.
struct Chunks {
    /// Taken away when a writer fails: the parser's next send then fails and it stops (instead
    /// of waiting forever on a full channel), and the other writers stop too.
    receiver: Mutex<Option<Receiver<Parsed>>>,
}

impl Chunks {
    fn new(receiver: Receiver<Parsed>) -> Chunks {
        Chunks {
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// The next chunk; `None` when the file is done or a writer failed.
    fn next(&self) -> Option<Parsed> {
        let receiver = self.receiver.lock().unwrap_or_else(|p| p.into_inner());
        receiver.as_ref()?.recv().ok()
    }

    fn stop(&self) {
        drop(
            self.receiver
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
    }

    fn write(
        &self,
        conn: &mut DbConn,
        intake: &mut Intake,
        actor: Actor,
        now: DateTime<Utc>,
        mut progress: impl FnMut(u64),
    ) -> AppResult<ImportReport> {
        let mut report = ImportReport::default();
        while let Some(parsed) = self.next() {
            report.rows += parsed.rows;
            report.errors.extend(parsed.errors);
            if let Err(e) = flush(conn, intake, actor, parsed.referrals, now, &mut report) {
                self.stop();
                return Err(e);
            }
            progress(parsed.bytes_read);
        }
        Ok(report)
    }
}

impl ImportReport {
    fn absorb(&mut self, other: ImportReport) {
        self.rows += other.rows;
        self.created += other.created;
        self.already_present += other.already_present;
        self.errors.extend(other.errors);
    }
}

/// One chunk of the file, checked.
struct Parsed {
    referrals: Vec<super::referral::NewReferral>,
    errors: Vec<RowError>,
    rows: usize,
    bytes_read: u64,
}

fn parse_chunks<R: Read>(
    reader: &mut csv::Reader<R>,
    columns: &Columns,
    sender: &std::sync::mpsc::SyncSender<Parsed>,
) {
    let mut record = csv::StringRecord::new();
    let fresh = || Parsed {
        referrals: Vec::with_capacity(CHUNK),
        errors: Vec::new(),
        rows: 0,
        bytes_read: 0,
    };
    let mut parsed = fresh();
    loop {
        let line = reader.position().line() + 1;
        let more = match reader.read_record(&mut record) {
            Ok(false) => false,
            Ok(true) if record.iter().all(|v| v.trim().is_empty()) => true,
            Ok(true) => {
                parsed.rows += 1;
                let line = record.position().map(|p| p.line()).unwrap_or(line);
                match request_from(columns, &record).parse() {
                    Ok(referral) => parsed.referrals.push(referral),
                    Err(fields) => parsed.errors.push(RowError {
                        line,
                        reasons: fields
                            .into_iter()
                            .map(|(f, m)| format!("{f} {}", m.join(", ")))
                            .collect(),
                    }),
                }
                true
            }
            Err(e) => {
                parsed.rows += 1;
                parsed.errors.push(RowError {
                    line,
                    reasons: vec![format!("not readable CSV: {e}")],
                });
                true
            }
        };
        if !more || parsed.referrals.len() == CHUNK {
            parsed.bytes_read = reader.position().byte();
            let full = std::mem::replace(&mut parsed, fresh());
            // The writer has stopped (a database error): nothing more to do here.
            if sender.send(full).is_err() || !more {
                return;
            }
        }
    }
}

fn flush(
    conn: &mut DbConn,
    intake: &mut Intake,
    actor: Actor,
    batch: Vec<super::referral::NewReferral>,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let count = batch.len();
    let created = db::write_transaction(conn, |conn| intake.refer_batch(conn, actor, batch, now))?;
    report.created += created;
    report.already_present += count - created;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf_even_across_reads() {
        struct TwoByTwo(&'static [u8], usize);
        impl Read for TwoByTwo {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = 2.min(self.0.len() - self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
                self.1 += n;
                Ok(n)
            }
        }
        let mut out = String::new();
        LfLines {
            inner: TwoByTwo(b"a\r\nbc\r\nd\re\r", 0),
            pending_cr: false,
        }
        .read_to_string(&mut out)
        .unwrap();
        assert_eq!(out, "a\nbc\nd\re\r");
    }

    #[test]
    fn several_zones_share_one_cell() {
        let headers = csv::StringRecord::from(vec!["reference", "other_timezones"]);
        let record = csv::StringRecord::from(vec!["R-1", "America/New_York; Asia/Kolkata"]);
        let request = request_from(&Columns::of(&headers), &record);
        assert_eq!(
            request.other_timezones,
            Some(vec![
                "America/New_York".to_string(),
                "Asia/Kolkata".to_string()
            ])
        );
    }

    #[test]
    fn rows_become_requests_by_header_name_in_any_order_and_case() {
        let headers = csv::StringRecord::from(vec![" Currency", "reference", "NAME"]);
        let record = csv::StringRecord::from(vec!["GBP", "R-1", "Zoë Ångström"]);
        let request = request_from(&Columns::of(&headers), &record);
        assert_eq!(request.reference, "R-1");
        assert_eq!(request.name, "Zoë Ångström");
        assert_eq!(request.currency, "GBP");
        assert!(request.email.is_none());
    }
}
