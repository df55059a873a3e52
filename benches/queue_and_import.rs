//! Issue 3's benchmark: CSV import beside PostgreSQL `COPY`, and claims over HTTP beside the same
//! work run directly against the database, in one run on one database.
//!
//! OUTREACH_BENCH_POSTGRES_URL=postgres://… cargo bench --bench queue_and_import
//! Optional: OUTREACH_BENCH_ROWS (default 1000000), OUTREACH_BENCH_SECONDS (default 10),
//! OUTREACH_BENCH_HANDLERS (default 32).

use std::{
    io::Write,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::TimeZone;
use diesel::{connection::SimpleConnection, Connection, PgConnection};
use outreach::{audit::Actor, calls, db, queue, startup::Application};

mod common;
use common::{env_or, Stats};

fn write_csv(path: &std::path::Path, rows: usize) {
    let regions = ["england", "wales", "scotland", "northern_ireland"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "reference,name,email,phone,region,amount_owed_minor,currency,days_in_arrears,circumstances").unwrap();
    for i in 0..rows {
        writeln!(
            out,
            "B-{i:08},Customer {i},c{i}@example.org,07700 9{:05},{},{},GBP,{},\"Reduced hours, two children\"",
            i % 100_000,
            regions[i % 4],
            1_000 + (i * 7_919) % 500_000,
            i % 720
        )
        .unwrap();
    }
}

fn main() {
    let Some(url) = common::fresh_database("outreach_bench") else {
        return;
    };
    let rows: usize = env_or("OUTREACH_BENCH_ROWS", 1_000_000);
    let seconds: u64 = env_or("OUTREACH_BENCH_SECONDS", 10);
    let handlers: usize = env_or("OUTREACH_BENCH_HANDLERS", 32);
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("referrals.csv");
    write_csv(&csv_path, rows);
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime
        .block_on(Application::build(common::config(&url)))
        .unwrap();
    let state = app.state();
    state.clock.pin(now);
    let address = format!("http://127.0.0.1:{}", app.port());
    runtime.spawn(app.run_until_stopped());

    // --- Import, beside COPY of the same file into a plain table.
    let pool = state.pool.clone();
    let client_id = {
        let mut conn = pool.get().unwrap();
        outreach::accounts::create_client(&mut conn, Actor::System, "Bench Utility", None, None)
            .unwrap()
    };
    let started = Instant::now();
    let report = {
        let mut conn = pool.get().unwrap();
        let file =
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&csv_path).unwrap());
        outreach::intake::csv_import::import(&mut conn, client_id, Actor::System, file, now, |_| {})
            .unwrap()
    };
    let import_secs = started.elapsed().as_secs_f64();
    assert_eq!(report.created, rows, "{:?}", report.errors.first());
    PgConnection::establish(&url).unwrap().batch_execute(
        "CREATE TABLE copy_floor (reference TEXT, name TEXT, email TEXT, phone TEXT, region TEXT, \
         amount_owed_minor BIGINT, currency TEXT, days_in_arrears INTEGER, circumstances TEXT)",
    ).unwrap();
    let started = Instant::now();
    let copied = std::process::Command::new("/usr/lib/postgresql/15/bin/psql")
        .arg(&url)
        .arg("-q")
        .arg("-c")
        .arg(format!(
            "\\copy copy_floor FROM '{}' CSV HEADER",
            csv_path.display()
        ))
        .status()
        .unwrap();
    assert!(copied.success());
    let copy_secs = started.elapsed().as_secs_f64();

    // --- Claims over HTTP: each handler claims, then records "no answer" (which releases it).
    let tokens: Vec<String> = (0..handlers)
        .map(|i| {
            let mut conn = pool.get().unwrap();
            let email = format!("bench{i}@example.org");
            let new = outreach::accounts::NewUser::parse(&email, "Bench", "handler", None).unwrap();
            let (id, _) = outreach::accounts::create_user(&mut conn, Actor::System, new).unwrap();
            outreach::accounts::issue_personal_token(&mut conn, Actor::System, id, "bench")
                .unwrap()
                .1
        })
        .collect();
    let http = runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(handlers)
            .build()
            .unwrap();
        let mut workers = Vec::new();
        for token in tokens.into_iter() {
            let (client, stop, address) = (client.clone(), stop.clone(), address.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = client
                        .post(format!("{address}/api/v1/calls/next"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    let call: serde_json::Value = r.json().await.unwrap();
                    latencies.push(t.elapsed());
                    let id = call["case"]["id"].as_i64().unwrap();
                    let done = client
                        .post(format!("{address}/api/v1/cases/{id}/outcomes"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"outcome": "no_answer"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(done.status().as_u16(), 200);
                }
                latencies
            }));
        }
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut latencies = Vec::new();
        for w in workers {
            latencies.extend(w.await.unwrap());
        }
        Stats {
            count: latencies.len(),
            seconds: started.elapsed().as_secs_f64(),
            latencies,
        }
    });

    // --- The same claim + outcome run directly on the pool, and the bare claim statement.
    let direct = |bare: bool| {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let threads: Vec<_> = (0..handlers)
            .map(|i| {
                let (pool, stop) = (pool.clone(), stop.clone());
                let handler_id = 1_000_000 + i as i64 + if bare { 1000 } else { 0 };
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    let mut latencies = Vec::new();
                    let user = user_id_for(&mut conn, handler_id);
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        if bare {
                            let lease = now.naive_utc() + chrono::Duration::minutes(15);
                            let claimed = db::write_transaction(&mut conn, |c| {
                                queue::store::claim_first_queued(c, user, now.naive_utc(), lease)
                            })
                            .unwrap();
                            assert!(claimed.is_some());
                            latencies.push(t.elapsed());
                            continue;
                        }
                        let claim = db::write_transaction(&mut conn, |c| {
                            queue::claim_next(
                                c,
                                Actor::System,
                                user,
                                now,
                                chrono::Duration::minutes(15),
                                i == 0,
                            )
                        })
                        .unwrap();
                        latencies.push(t.elapsed());
                        let queue::Claim::Claimed(case) = claim else {
                            panic!("nothing due")
                        };
                        db::write_transaction(&mut conn, |c| {
                            let outcome = calls::outcome::Outcome::NoAnswer;
                            let report = calls::record::CallReport {
                                outcome: &outcome,
                                notes: None,
                                script_version_id: None,
                            };
                            calls::record::record(c, Actor::System, user, case.id, report, now)
                        })
                        .unwrap();
                    }
                    latencies
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        let latencies: Vec<Duration> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        Stats {
            count: latencies.len(),
            seconds: started.elapsed().as_secs_f64(),
            latencies,
        }
    };
    let same_work = direct(false);
    let bare = direct(true);

    println!("\nOutreach benchmark — PostgreSQL, {rows} cases, {handlers} concurrent handlers, {seconds} s each\n");
    println!("| import | rows | seconds | rows/s |\n| --- | --- | --- | --- |");
    println!("| `outreach import` (parse, guard, schedule, insert) | {rows} | {import_secs:.1} | {:.0} |", rows as f64 / import_secs);
    println!(
        "| PostgreSQL `\\copy` of the same file (floor) | {rows} | {copy_secs:.1} | {:.0} |",
        rows as f64 / copy_secs
    );
    println!(
        "\nimport rate / COPY rate = {:.2} (target ≥ 0.25)\n",
        copy_secs / import_secs
    );
    println!("| claims | claims | throughput | p50 | p99 |\n| --- | --- | --- | --- | --- |");
    println!("{}", http.row("HTTP `POST /api/v1/calls/next` (+ outcome)"));
    println!(
        "{}",
        same_work.row("same claim + outcome, direct on the pool")
    );
    println!(
        "{}",
        bare.row("bare claim statement (`FOR UPDATE SKIP LOCKED`), direct")
    );
    println!(
        "\nHTTP / direct (same work) throughput = {:.2}; HTTP / bare statement = {:.2} (target ≥ 0.5; p99 < 25 ms)",
        http.per_second() / same_work.per_second(),
        http.per_second() / bare.per_second()
    );
    drop(state);
    drop(pool);
}

/// Handlers for the direct runs are real users (claims reference users).
fn user_id_for(conn: &mut db::DbConn, n: i64) -> i64 {
    let email = format!("direct{n}@example.org");
    let new = outreach::accounts::NewUser::parse(&email, "Direct", "handler", None).unwrap();
    outreach::accounts::create_user_with_password(conn, Actor::System, new, "bench-password-123")
        .unwrap()
}
