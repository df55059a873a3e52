//! The import beside its floor, in rounds. This machine's speed drifts by half within minutes
//! (with and without the hypervisor taking cores: see `stopwatch`) and the floor takes one to
//! three seconds, so one pair of timings can land either side of the target: each round times
//! the bare `\copy` just before its import and again just after it, once the import's table has
//! settled, and compares the import with the mean of the two; the medians are reported.

use std::path::Path;

use diesel::connection::SimpleConnection;
use outreach::{audit::Actor, db::DbConn};

use crate::{
    common, floors,
    stopwatch::{Stopwatch, Timing},
};

/// One round's timings.
pub struct Round {
    pub copy_before: Timing,
    pub import: Timing,
    pub copy_after: Timing,
}

impl Round {
    /// The floor beside the import: the mean of the two taken either side of it.
    pub fn copy(&self) -> f64 {
        (self.copy_before.seconds + self.copy_after.seconds) / 2.0
    }

    /// Import rate / `COPY` rate.
    pub fn ratio(&self) -> f64 {
        self.copy() / self.import.seconds
    }
}

/// Imports `csv` as `outreach import` does on PostgreSQL (two writer connections) and times it
/// from a checkpoint; every row must be created.
pub fn import(
    writers: [&mut DbConn; 2],
    client_id: i64,
    csv: &Path,
    rows: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Timing {
    let [first, second] = writers;
    checkpoint(first);
    let stopwatch = Stopwatch::start();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(csv).unwrap());
    let report = outreach::intake::csv_import::import(
        &mut [first, second],
        client_id,
        Actor::System,
        file,
        now,
        |_| {},
    )
    .unwrap();
    let timing = stopwatch.stop();
    assert_eq!(report.created, rows, "{:?}", report.errors.first());
    timing
}

/// A checkpoint before a timing, so it starts with nothing of earlier work left to write out:
/// a round's import would otherwise pay for the floor's writes just before it, and for the
/// previous round's (the checkpoint they bring on falls in the longer timing, the import's).
/// Each timing still pays for any checkpoint its own writes bring on. Needs a superuser (or the
/// `pg_checkpoint` role); without one the timings include that write-back, and this says so.
/// Each timed step ([`import`], [`floors::copy_file`]) takes one on its own connection.
pub fn checkpoint(conn: &mut impl SimpleConnection) {
    if let Err(e) = conn.batch_execute("CHECKPOINT") {
        eprintln!("no checkpoint before a timing ({e}): it includes earlier work's write-back");
    }
}

/// Before the floor after an import: its table vacuumed and analysed, as autovacuum would start to
/// do in the middle of that floor otherwise and slow it down (which would flatter the import).
pub fn settle(conn: &mut impl SimpleConnection) {
    conn.batch_execute("VACUUM (ANALYZE) cases, case_milestones")
        .unwrap();
}

/// A round on a database of its own (dropped afterwards): the floor, the import, the floor again.
pub fn on_fresh_database(
    round: usize,
    csv: &Path,
    rows: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Round {
    let database = common::fresh_database(&format!("outreach_bench_round{round}")).unwrap();
    let connect = || outreach::db::pool::establish(&database.url).unwrap();
    let (mut first, mut second) = (connect(), connect());
    outreach::db::migrate::run_pending(&mut first).unwrap();
    let client_id =
        outreach::accounts::create_client(&mut first, Actor::System, "Round", None, None).unwrap();
    between_floors(&database.url, csv, || {
        let timing = import([&mut first, &mut second], client_id, csv, rows, now);
        settle(&mut first);
        timing
    })
}

/// A round on the database at `url`: the floor, `import` (which returns what it timed and
/// leaves the database settled), the floor again.
pub fn between_floors(url: &str, csv: &Path, import: impl FnOnce() -> Timing) -> Round {
    let copy_before = floors::copy_file(url, csv);
    let import = import();
    Round {
        copy_before,
        import,
        copy_after: floors::copy_file(url, csv),
    }
}

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}
