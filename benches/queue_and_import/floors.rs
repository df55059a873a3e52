//! The import's floors: what PostgreSQL's own `COPY` takes, timed through `psql`.

use std::path::Path;

use diesel::{connection::SimpleConnection, Connection, PgConnection};
use outreach::audit::Actor;

use crate::{
    common,
    stopwatch::{Stopwatch, Timing},
};

/// Runs `psql` against `url` with `args`, stopping at the first error, and times it.
fn psql(url: &str, args: &[&str]) -> Timing {
    let stopwatch = Stopwatch::start();
    let status = std::process::Command::new("/usr/lib/postgresql/15/bin/psql")
        .arg(url)
        .args(["-q", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "psql {args:?}");
    stopwatch.stop()
}

/// The first floor: `\copy` of the same file into a plain table of its columns, timed from a
/// checkpoint. The table is dropped afterwards, so the floor can be taken again beside it.
pub fn copy_file(url: &str, csv: &Path) -> Timing {
    let mut conn = PgConnection::establish(url).unwrap();
    conn.batch_execute(
        "CREATE TABLE copy_floor (reference TEXT, name TEXT, email TEXT, phone TEXT, region TEXT, \
         amount_owed_minor BIGINT, currency TEXT, days_in_arrears INTEGER, circumstances TEXT)",
    )
    .unwrap();
    crate::rounds::checkpoint(&mut conn);
    let timing = psql(
        url,
        &[
            "-c",
            &format!("\\copy copy_floor FROM '{}' CSV HEADER", csv.display()),
        ],
    );
    conn.batch_execute("DROP TABLE copy_floor").unwrap();
    timing
}

/// The second floor: what PostgreSQL itself takes to store the imported rows where the service
/// keeps them — the same rows, already in the service's shape, loaded with `COPY` into a fresh
/// database's `cases` (its indexes, checks and triggers in place) in one transaction. The rows
/// are written out right after the import; the load runs after the claim benchmarks so its
/// write-back does not land on them. Only the load is timed.
pub struct ServiceTables {
    cases_file: std::path::PathBuf,
}

const CASE_COLUMNS: &str =
    "id, client_id, reference, customer_name, email, phone, region, timezone, \
    amount_owed_minor, currency, days_in_arrears, arrears_since, notes, circumstances, \
    preferred_contact_times, status, vulnerable, priority_band, next_contact_at, \
    contact_window_end, attempts_count, referred_at, updated_at";

impl ServiceTables {
    pub fn export(url: &str, dir: &Path) -> ServiceTables {
        let floor = ServiceTables {
            cases_file: dir.join("cases.copy"),
        };
        psql(
            url,
            &[
                "-c",
                &format!(
                    "\\copy (SELECT {CASE_COLUMNS} FROM cases ORDER BY id) TO '{}' (FORMAT binary)",
                    floor.cases_file.display()
                ),
            ],
        );
        floor
    }

    /// Seconds to load the rows into a fresh database's tables.
    pub fn load(&self, client_id: i64, dir: &Path) -> f64 {
        let database = common::fresh_database("outreach_bench_floor").unwrap();
        let url = database.url.clone();
        let mut conn = outreach::db::pool::establish(&url).unwrap();
        outreach::db::migrate::run_pending(&mut conn).unwrap();
        // Clients are numbered from 1 in both databases: the rows' client exists here too.
        let floor_client =
            outreach::accounts::create_client(&mut conn, Actor::System, "Floor", None, None)
                .unwrap();
        assert_eq!(floor_client, client_id);
        let script = dir.join("floor.sql");
        std::fs::write(
            &script,
            format!(
                "BEGIN;\nSET LOCAL outreach.bulk = 'on';\n\\copy cases ({CASE_COLUMNS}) FROM '{}' (FORMAT binary)\nCOMMIT;\n",
                self.cases_file.display(),
            ),
        )
        .unwrap();
        psql(&url, &["-f", &script.display().to_string()]).seconds
    }
}
