//! Large imports: files of many chunks, two writers on PostgreSQL, and imports that fail part
//! way (the database refuses, the file stops being readable, most rows are bad).

use crate::backend_test;
use crate::csv_import::{case_count, import_file};
use crate::helpers::TestApp;
use crate::referrals::tuesday_morning;

backend_test!(a_file_of_many_chunks_creates_each_case_once);
// More rows than one chunk, so on PostgreSQL both of the command line's writers take chunks: a
// reference repeated further down the file and a re-run of a longer file still create each case
// once, and the report counts agree with the cases.
async fn a_file_of_many_chunks_creates_each_case_once(app: TestApp) {
    let client_id = app.create_client("Big File Co");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("referrals.csv");
    let rows = |range: std::ops::Range<usize>| -> String {
        range
            .map(|i| {
                format!(
                    "R-{i:05},Customer {i},england,{},GBP,{}\n",
                    1000 + i,
                    i % 400
                )
            })
            .collect()
    };
    let header = "reference,name,region,amount_owed_minor,currency,days_in_arrears\n";
    // R-00007 again at the end, thousands of rows after its first line.
    std::fs::write(&file, format!("{header}{}{}", rows(0..12_000), rows(7..8))).unwrap();
    let file_arg = file.to_str().unwrap();
    let import = || {
        let output = app.outreach(&["import", "--client", &client_id.to_string(), file_arg]);
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let first = import();
    assert!(
        first.contains("12001 rows read: 12000 new cases, 1 already referred, 0 refused."),
        "{first}"
    );
    std::fs::write(
        &file,
        format!("{header}{}{}", rows(0..12_000), rows(12_000..12_500)),
    )
    .unwrap();
    let second = import();
    assert!(
        second.contains("12500 rows read: 500 new cases, 12000 already referred, 0 refused."),
        "{second}"
    );
    let (cases, referred): (i64, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases;
        let cases = cases::table.count().get_result(conn).unwrap();
        (cases, crate::helpers::referred_count(conn, client_id))
    });
    assert_eq!(cases, 12_500);
    assert_eq!(referred, 12_500, "the report counts every case once");
    // Each import's end is audited with what it reported, once both writers are done (this
    // entry's commit is the one that waits for the disk, for every chunk before it).
    let ends: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("import_ended"))
            .filter(audit_log::client_id.eq(client_id))
            .order(audit_log::id.asc())
            .select(audit_log::detail)
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        ends,
        [
            "12001 rows: 12000 new, 1 already referred, 0 refused",
            "12500 rows: 500 new, 12000 already referred, 0 refused",
        ]
    );
}

/// Runs an import of `source` on a connection of its own (set up by `prepare`) and on a thread
/// of its own, so that a hung import fails the test instead of hanging it; the cases it created.
fn import_within_a_minute(
    app: &TestApp,
    client_id: i64,
    source: impl std::io::Read + Send + 'static,
    prepare: impl FnOnce(&mut outreach::db::DbConn) + Send + 'static,
) -> Result<usize, String> {
    let url = app.state.config.database_url.clone();
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut conn = outreach::db::pool::establish(&url).unwrap();
        prepare(&mut conn);
        let outcome = outreach::intake::csv_import::import(
            &mut [&mut conn],
            client_id,
            outreach::audit::Actor::System,
            source,
            tuesday_morning(),
            |_| {},
        )
        .map(|report| report.created)
        .map_err(|e| format!("{e:#}"));
        let _ = done.send(outcome);
    });
    outcome
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the import ended instead of hanging")
}

/// A header and `rows` good rows of a referrals file.
fn good_rows(rows: usize) -> String {
    std::iter::once(
        "reference,name,region,amount_owed_minor,currency,days_in_arrears\n".to_string(),
    )
    .chain((0..rows).map(|i| format!("RO-{i:05},Customer {i},england,1000,GBP,10\n")))
    .collect()
}

backend_test!(an_import_the_database_refuses_fails_cleanly);
// The writer fails on its first chunk while the parser still has most of the file to read: the
// import must end with the error (not wait forever for a writer) and keep nothing.
async fn an_import_the_database_refuses_fails_cleanly(app: TestApp) {
    let client_id = app.create_client("Read Only Co");
    let outcome = import_within_a_minute(
        &app,
        client_id,
        std::io::Cursor::new(good_rows(25_000)),
        |conn| {
            use diesel::connection::SimpleConnection;
            let read_only = match conn.backend() {
                outreach::db::Backend::Postgres => "SET default_transaction_read_only = on",
                outreach::db::Backend::Sqlite => "PRAGMA query_only = ON",
            };
            conn.batch_execute(read_only).unwrap();
        },
    );
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(case_count(&app), 0);
}

/// The bytes of a file, then a read that fails every time it is tried (a disk or a network
/// share gone part way through).
struct GoneAfter(std::io::Cursor<String>);

impl std::io::Read for GoneAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("input/output error")),
            n => Ok(n),
        }
    }
}

backend_test!(a_file_that_stops_being_readable_ends_the_import_with_an_error);
// The import must stop and say the file could not be read, not list the failure as one more
// refused row and report the file as read to its end. The rows before the failure are kept, as
// any import keeps its good rows.
async fn a_file_that_stops_being_readable_ends_the_import_with_an_error(app: TestApp) {
    let client_id = app.create_client("Flaky Share Co");
    let source = GoneAfter(std::io::Cursor::new(good_rows(7_000)));
    let outcome = import_within_a_minute(&app, client_id, source, |_| {});
    let error = outcome.expect_err("the import failed");
    assert!(
        error.contains("could not be read past line") && error.contains("input/output error"),
        "{error}"
    );
    assert_eq!(case_count(&app), 7_000);
}

backend_test!(a_file_of_mostly_bad_rows_lists_the_first_thousand_and_counts_the_rest);
async fn a_file_of_mostly_bad_rows_lists_the_first_thousand_and_counts_the_rest(app: TestApp) {
    let client_id = app.create_client("Wrong Shape Co");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("referrals.csv");
    let mut body =
        String::from("reference,name,region,amount_owed_minor,currency,days_in_arrears\n");
    body.push_str("G-1,Good Row,england,100,GBP,3\n");
    for i in 0..12_000 {
        body.push_str(&format!("B-{i},Bad Row,england,lots,GBP,3\n"));
    }
    std::fs::write(&file, body).unwrap();
    let output = app.outreach(&[
        "import",
        "--client",
        &client_id.to_string(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "some rows refused");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("12001 rows read: 1 new cases, 0 already referred, 12000 refused."),
        "{}",
        &stdout[..200]
    );
    assert_eq!(
        stdout.matches("\n  line ").count(),
        1000,
        "the first thousand listed"
    );
    assert!(
        stdout.contains("  line 3: amount_owed_minor"),
        "in file order from the first"
    );
    assert!(stdout.contains("… and 11000 more refused rows (the first 1000 are listed)."));
}

/// Two writers on PostgreSQL, as `outreach import` runs there, taking 5,000-row chunks of a file
/// in which every other chunk repeats the one before it in reverse (a client's export appended
/// to itself, sorted the other way). Writers storing one reference set from opposite ends would
/// each wait on the other's uncommitted references, and PostgreSQL would end the import with a
/// deadlock. (Whether two such chunks overlap in time depends on the moment; twenty pairs make it
/// likely.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_meeting_on_the_same_references_both_finish() {
    const PAIRS: usize = 20;
    if !crate::helpers::postgres::available() {
        return;
    }
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await;
    let client_id = app.create_client("Appended Export Co");
    let row = |pair: usize, i: usize| format!("TW{pair}-{i:05},Customer {i},england,1000,GBP,10\n");
    let mut file =
        String::from("reference,name,region,amount_owed_minor,currency,days_in_arrears\n");
    for pair in 0..PAIRS {
        file.extend((0..5_000).map(|i| row(pair, i)));
        file.extend((0..5_000).rev().map(|i| row(pair, i)));
    }
    let report = app.with_conn(|first| {
        let mut second = app.conn();
        outreach::intake::csv_import::import(
            &mut [first, &mut second],
            client_id,
            outreach::audit::Actor::System,
            file.as_bytes(),
            tuesday_morning(),
            |_| {},
        )
    });
    let report = report.expect("the import finished");
    let half = 5_000 * PAIRS;
    assert_eq!((report.created, report.already_present), (half, half));
    assert_eq!(case_count(&app), half as i64);
}

backend_test!(a_reference_twice_in_one_file_keeps_its_first_row);
// On either database, whichever path stores the chunk (on PostgreSQL the repeat sends it down
// the fallback path): the row kept is the file's first, and the repeat counts as already sent.
async fn a_reference_twice_in_one_file_keeps_its_first_row(app: TestApp) {
    let client_id = app.create_client("Twice Listed Co");
    let file = "reference,name,region,amount_owed_minor,currency,days_in_arrears\n\
                DUP-2,Second Ref,england,100,GBP,3\n\
                DUP-1,First Row,england,100,GBP,3\n\
                DUP-1,Later Row,england,999,GBP,3\n";
    let report = import_file(&app, client_id, file);
    assert_eq!((report.created, report.already_present), (2, 1));
    let kept: (String, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .filter(reference.eq("DUP-1"))
            .select((customer_name, amount_owed_minor))
            .first(conn)
            .unwrap()
    });
    assert_eq!(kept, ("First Row".to_string(), 100));
}

/// SQLite, the embedded default, lets one writer in at a time, and one kept out only polls for
/// the lock until its wait runs out. An import commits chunk after chunk; a handler recording
/// an outcome meanwhile must get its turn between two chunks, however long its wait may be
/// (here 50 ms, shorter than a chunk), instead of being told "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_other_writes_take_their_turn_between_an_imports_chunks() {
    use outreach::audit::{self, Actor};
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let client_id = app.create_client("Turns Co");
    let url = app.state.config.database_url.clone();
    let importing = std::thread::spawn(move || {
        let mut conn = outreach::db::pool::establish(&url).unwrap();
        outreach::intake::csv_import::import(
            &mut [&mut conn],
            client_id,
            Actor::System,
            std::io::Cursor::new(good_rows(20_000)),
            tuesday_morning(),
            |_| {},
        )
        .map(|report| report.created)
        .map_err(|e| format!("{e:#}"))
    });
    let mut other = outreach::db::pool::establish(&app.state.config.database_url).unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut other, "PRAGMA busy_timeout = 50")
        .unwrap();
    let mut written = 0;
    while !importing.is_finished() {
        outreach::db::write_transaction(&mut other, |conn| {
            audit::record(
                conn,
                Actor::System,
                audit::Entry::for_client("noted", client_id),
            )
        })
        .expect("the write waited its turn");
        written += 1;
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(importing.join().unwrap(), Ok(20_000));
    assert!(
        written >= 2,
        "the writes ran while the import did: {written}"
    );
}
