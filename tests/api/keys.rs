//! The links between clients, cases, their milestone rows and the handlers holding them hold on
//! both backends. SQLite declares them as foreign keys; PostgreSQL checks them with triggers
//! (migrations 17, 22 and 27: once per statement, or per row only when a case is claimed), and
//! must still refuse everything a key would.

use diesel::{
    prelude::*,
    result::{DatabaseErrorKind, Error},
    sql_query,
};
use outreach::db::{schema::cases, DbConn};

use crate::helpers::{postgres, referred_count, spawn_app, Backend, TestApp};

fn insert_case(conn: &mut DbConn, client_id: i64, reference: &str) -> Result<usize, Error> {
    insert_cases(conn, client_id, &[(reference, "queued", None)])
}

/// Cases written in one statement, each straight into its `status` and held by `claimed_by`.
fn insert_cases(
    conn: &mut DbConn,
    client_id: i64,
    cases: &[(&str, &str, Option<i64>)],
) -> Result<usize, Error> {
    let rows: Vec<String> = cases
        .iter()
        .map(|(reference, status, claimed_by)| {
            let claimed_by = claimed_by.map_or("NULL".to_string(), |id| id.to_string());
            format!(
                "({client_id}, '{reference}', 'Sam Example', 'england', 'Europe/London', 12000, \
                 'GBP', 30, CURRENT_DATE, '{status}', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, \
                 {claimed_by})"
            )
        })
        .collect();
    sql_query(format!(
        "INSERT INTO cases (client_id, reference, customer_name, region, timezone, amount_owed_minor, \
         currency, days_in_arrears, arrears_since, status, priority_band, attempts_count, referred_at, \
         updated_at, claimed_by) VALUES {}",
        rows.join(", ")
    ))
    .execute(conn)
}

#[track_caller]
fn assert_refused_as_key(result: Result<usize, Error>, what: &str) {
    match result {
        Err(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {}
        other => panic!("{what}: expected a foreign key violation, got {other:?}"),
    }
}

fn links_hold(app: &TestApp) {
    let client = app.create_client("Keyed Utility");
    let [handler, other] = [(); 2].map(|()| {
        let (email, _) = app.create_user("handler", None);
        app.with_conn(|conn| outreach::accounts::store::user_id_by_email(conn, &email).unwrap())
    });
    app.with_conn(|conn| {
        assert_refused_as_key(
            insert_case(conn, client + 1000, "K-1"),
            "a case for no client",
        );
        assert_eq!(
            insert_case(conn, client, "K-2").unwrap(),
            1,
            "a case for the client"
        );
        let delete_client = format!("DELETE FROM clients WHERE id = {client}");
        assert_refused_as_key(
            sql_query(&delete_client).execute(conn),
            "deleting a client with cases",
        );
        assert_refused_as_key(
            sql_query(
                "INSERT INTO case_milestones (case_id, client_id, referred_at) \
                 VALUES (999999, 1, CURRENT_TIMESTAMP)",
            )
            .execute(conn),
            "milestones for no case",
        );
        // A case with a milestone row cannot go. SQLite writes the row with the case;
        // PostgreSQL at the case's first milestone (migration 21), so one is written here.
        sql_query(
            "INSERT INTO case_milestones (case_id, client_id, referred_at) \
             SELECT id, client_id, referred_at FROM cases c WHERE reference = 'K-2' \
             AND NOT EXISTS (SELECT 1 FROM case_milestones m WHERE m.case_id = c.id)",
        )
        .execute(conn)
        .unwrap();
        assert_refused_as_key(
            sql_query("DELETE FROM cases WHERE reference = 'K-2'").execute(conn),
            "deleting a case with milestones",
        );
        let claim_by = |user: i64| {
            format!(
                "UPDATE cases SET status = 'claimed', claimed_by = {user} WHERE reference = 'K-2'"
            )
        };
        assert_refused_as_key(
            sql_query(claim_by(handler + 1000)).execute(conn),
            "a claim by no handler",
        );
        assert_eq!(sql_query(claim_by(handler)).execute(conn).unwrap(), 1);
        // Written already held (on PostgreSQL checked per statement, not per row): by real
        // handlers, one of them twice, beside an unheld case, all kept...
        let held = [
            ("K-3", "scheduled", Some(handler)),
            ("K-4", "queued", None),
            ("K-5", "scheduled", Some(handler)),
        ];
        assert_eq!(insert_cases(conn, client, &held).unwrap(), 3);
        // ...and by a real handler beside a missing one: none of it kept.
        assert_refused_as_key(
            insert_cases(
                conn,
                client,
                &[
                    ("K-6", "scheduled", Some(handler)),
                    ("K-7", "scheduled", Some(other + 1000)),
                ],
            ),
            "cases written held by a handler and by no handler",
        );
        let delete_user = |user: i64| sql_query(format!("DELETE FROM users WHERE id = {user}"));
        assert_refused_as_key(
            delete_user(handler).execute(conn),
            "deleting a handler holding a case",
        );
        assert_eq!(
            delete_user(other).execute(conn).unwrap(),
            1,
            "a handler holding none can go"
        );
    });
    let cases: i64 = app.with_conn(|conn| cases::table.count().get_result(conn).unwrap());
    assert_eq!(
        cases, 4,
        "only the cases for a real client and real handlers were kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_cases_tied_to_clients_and_milestones_to_cases() {
    links_hold(&spawn_app(Backend::Sqlite).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_cases_tied_to_clients_and_milestones_to_cases() {
    if !postgres::available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    links_hold(&app);
    // Keys cannot be changed to dodge the checks, which only look at inserted rows.
    app.with_conn(|conn| {
        assert_refused_as_key(
            sql_query("UPDATE cases SET client_id = client_id + 1000").execute(conn),
            "moving a case to no client",
        );
        assert_refused_as_key(
            sql_query("UPDATE case_milestones SET case_id = case_id + 1000").execute(conn),
            "moving milestones to no case",
        );
    });
}

/// A case as a bulk load writes it, for `client_id`.
fn bulk_row(client_id: i64, reference: &str) -> outreach::intake::store::NewCaseRow {
    let now = chrono::Utc::now().naive_utc();
    outreach::intake::store::NewCaseRow {
        client_id,
        reference: reference.to_string(),
        customer_name: "Sam Example".to_string(),
        email: None,
        phone: None,
        region: "england".into(),
        timezone: "Europe/London".into(),
        amount_owed_minor: 12000,
        currency: "GBP",
        days_in_arrears: 30,
        arrears_since: now.date(),
        notes: None,
        circumstances: None,
        preferred_contact_times: None,
        status: "queued",
        priority_band: 0,
        next_contact_at: None,
        contact_window_end: None,
        referred_at: now,
        updated_at: now,
    }
}

/// Bulk loads on PostgreSQL: a load for no client is refused whole, as the key would, and each
/// new case is counted as referred once — by the load itself on the `COPY` path, by the statement
/// trigger on the fallback for a chunk repeating a reference and on an ordinary insert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_bulk_loads_check_their_client_and_count_their_cases() {
    if !postgres::available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let client = app.create_client("Bulk Utility");
    app.with_conn(|conn| {
        use outreach::intake::store::insert_many;
        let missing = [
            bulk_row(client + 1000, "B-1"),
            bulk_row(client + 1000, "B-2"),
        ];
        match insert_many(conn, &missing) {
            Err(e) => assert!(
                format!("{e:?}").contains("cases_client_id_fkey"),
                "refused as the key would: {e:?}"
            ),
            Ok(n) => panic!("{n} cases written for no client"),
        }
        let first = [bulk_row(client, "B-1"), bulk_row(client, "B-2")];
        assert_eq!(insert_many(conn, &first).unwrap(), 2, "the COPY path");
        assert_eq!(referred_count(conn, client), 2);
        let again = [bulk_row(client, "B-2"), bulk_row(client, "B-3")];
        assert_eq!(insert_many(conn, &again).unwrap(), 1, "the fallback path");
        assert_eq!(referred_count(conn, client), 3, "only the new case counted");
        assert_eq!(insert_case(conn, client, "B-4").unwrap(), 1);
        assert_eq!(referred_count(conn, client), 4);
        let stored: i64 = cases::table
            .filter(cases::client_id.eq_any([client, client + 1000]))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(stored, 4, "nothing of the refused load stayed");
    });
}
