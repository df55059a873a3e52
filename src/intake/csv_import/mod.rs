//! CSV import: the client portal's upload and `outreach import` both come here. The header row
//! uses the API's field names. Good rows are kept, every bad row is reported with its line number
//! and reasons, and importing the same file again creates nothing new.

mod line_endings;
mod rows;

use std::{
    io::Read,
    sync::{mpsc::Receiver, Mutex},
};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Intake;
use crate::{
    audit::{self, Actor},
    db::{self, DbConn},
    error::{AppError, AppResult},
};

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
    /// Rows refused, all of them.
    pub refused: usize,
    /// The first [`MAX_LISTED_ERRORS`] refused rows with their reasons, in file order.
    pub errors: Vec<RowError>,
}

/// Refused rows listed in a report: enough to see what is wrong with a file, without holding (and
/// showing) a million reasons for a file of the wrong shape.
pub const MAX_LISTED_ERRORS: usize = 1000;

impl ImportReport {
    /// Adds refused rows; each writer sees its chunks in file order, so the ones kept are its
    /// earliest, and the earliest of all survive the merge.
    fn refuse(&mut self, errors: Vec<RowError>) {
        self.refused += errors.len();
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(errors.into_iter().take(room));
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
    let (mut reader, columns) = rows::open(source)?;
    let mut intake = Intake::for_client(first, client_id)?;
    // Reading and checking rows runs on its own thread while the writers store earlier chunks,
    // so the parser and the database work at the same time.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<rows::Parsed>(others.len() + 2);
    let chunks = Chunks::new(receiver);
    let report = std::thread::scope(|scope| {
        let reading = scope.spawn(move || rows::parse_chunks(&mut reader, &columns, &sender));
        let helpers: Vec<_> = others
            .iter_mut()
            .map(|conn| {
                let (chunks, mut intake) = (&chunks, intake.clone());
                scope.spawn(move || chunks.write(conn, &mut intake, actor, now, |_| {}))
            })
            .collect();
        let mut report = chunks.write(first, &mut intake, actor, now, &mut progress)?;
        for helper in helpers {
            let theirs = helper
                .join()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("an import writer panicked")))??;
            report.absorb(theirs);
        }
        // Without this, a file that stopped being readable would look like one that ended there.
        reading
            .join()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the import's reader panicked")))?
            .map_err(|unreadable| AppError::Internal(anyhow::anyhow!("{unreadable}")))?;
        Ok::<ImportReport, AppError>(report)
    });
    // Chunks commit without waiting for the disk (`flush`). Nothing is reported, an error
    // neither, before the import's end is audited in a transaction that commits the ordinary
    // way: it waits for the log up to its own commit, and so for every chunk before it (as
    // durably as every other write of the service: a server set to `synchronous_commit = off`
    // waits for none). A writer's panic ends the import as a failure without this entry.
    let ended = audit_end(first, client_id, actor, &report);
    let mut report = report?;
    ended?;
    report.errors.sort_by_key(|e| e.line);
    report.errors.truncate(MAX_LISTED_ERRORS);
    Ok(report)
}

/// Records how an import ended (each chunk has its own entry too), in a transaction of its
/// own that waits for the disk; see [`import`].
fn audit_end(
    conn: &mut DbConn,
    client_id: i64,
    actor: Actor,
    outcome: &AppResult<ImportReport>,
) -> AppResult<()> {
    let detail = match outcome {
        Ok(report) => format!(
            "{} rows: {} new, {} already referred, {} refused",
            report.rows, report.created, report.already_present, report.refused
        ),
        Err(_) => "stopped by an error; the chunks before it are kept".to_string(),
    };
    db::write_transaction(conn, |conn| {
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("import_ended", client_id).detail(detail),
        )
    })
}

/// Parsed chunks waiting for a writer.
struct Chunks {
    /// Taken away when a writer fails: the parser's next send then fails and it stops (instead
    /// of waiting forever on a full channel), and the other writers stop too.
    receiver: Mutex<Option<Receiver<rows::Parsed>>>,
}

impl Chunks {
    fn new(receiver: Receiver<rows::Parsed>) -> Chunks {
        Chunks {
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// The next chunk; `None` when the file is done or a writer failed.
    fn next(&self) -> Option<rows::Parsed> {
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
            report.refuse(parsed.errors);
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
        self.refused += other.refused;
        self.errors.extend(other.errors);
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
    let created = db::write_transaction(conn, |conn| {
        db::commit_without_waiting(conn)?;
        intake.refer_batch(conn, actor, batch, now)
    })?;
    report.created += created;
    report.already_present += count - created;
    Ok(())
}
