//! Issue 3's benchmark: CSV import beside PostgreSQL `COPY`, and claims over HTTP beside the same
//! work run directly against the database, in one run on one database.
//!
//! OUTREACH_BENCH_POSTGRES_URL=postgres://… cargo bench --bench queue_and_import
//! Optional: OUTREACH_BENCH_ROWS (default 1000000), OUTREACH_BENCH_HANDLERS (default 32),
//! OUTREACH_BENCH_CLAIMS_PER_HANDLER (default 500), OUTREACH_BENCH_SECONDS (the handler loop,
//! default 10), OUTREACH_BENCH_POOL_SIZE (the service's connections, default 4),
//! OUTREACH_BENCH_IMPORT_ROUNDS (imports, each between two floors of its own, default 5).

use std::{
    io::Write,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::TimeZone;
use diesel::{connection::SimpleConnection, Connection, PgConnection, RunQueryDsl};
use outreach::{audit::Actor, db, queue};

#[path = "../common/mod.rs"]
mod common;
mod floors;
mod rounds;
mod stopwatch;
use common::{env_or, Stats};

/// The allocator `outreach` itself runs with (`src/main.rs`): the import runs in this process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let Some(database) = common::fresh_database("outreach_bench") else {
        return;
    };
    let url = database.url.clone();
    let rows: usize = env_or("OUTREACH_BENCH_ROWS", 1_000_000);
    let seconds: u64 = env_or("OUTREACH_BENCH_SECONDS", 10);
    let handlers: usize = env_or("OUTREACH_BENCH_HANDLERS", 32);
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("referrals.csv");
    write_csv(&csv_path, rows);
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap();

    // The service's pool sized as for a database on the same two-core host (about twice its
    // cores): more connections than cores only adds contention inside PostgreSQL.
    let mut config = common::config(&url);
    config.pool_size = env_or("OUTREACH_BENCH_POOL_SIZE", 4);
    let common::Running {
        runtime,
        state,
        address,
    } = common::start(config);
    state.clock.pin(now);

    // --- Import, beside COPY of the same file into a plain table.
    let pool = state.pool.clone();
    let client_id = {
        let mut conn = pool.get().unwrap();
        outreach::accounts::create_client(&mut conn, Actor::System, "Bench Utility", None, None)
            .unwrap()
    };
    // Rounds on databases of their own first, then the last on the benchmark's database (whose
    // million cases the claims below use).
    let import_rounds: usize = env_or("OUTREACH_BENCH_IMPORT_ROUNDS", 5);
    let mut timings: Vec<rounds::Round> = (1..import_rounds.max(1))
        .map(|round| rounds::on_fresh_database(round, &csv_path, rows, now))
        .collect();
    // The database settles before the floor after the import and before the claims are timed, as
    // it would in service: the freshly loaded tables vacuumed and analysed now (autovacuum would
    // otherwise start on them in the middle of those timings), and the pages that dirtied written
    // out (needs a superuser; skipped if not).
    let mut settle = PgConnection::establish(&url).unwrap();
    let last = rounds::between_floors(&url, &csv_path, || {
        let (mut first, mut second) = (pool.get().unwrap(), pool.get().unwrap());
        let timing = rounds::import([&mut *first, &mut *second], client_id, &csv_path, rows, now);
        rounds::settle(&mut settle);
        timing
    });
    let import_secs = last.import.seconds;
    timings.push(last);
    let tables_floor = floors::ServiceTables::export(&url, dir.path());
    if let Err(e) = settle.batch_execute("CHECKPOINT") {
        eprintln!("no checkpoint before the claims ({e}); their figures include that write-back");
    }

    // --- Claims. Every claim below takes a new case: each request comes from a handler who holds
    // none (a handler who already holds one just gets it back), so the HTTP run and the direct
    // runs do exactly the same thing to the database. Creating those handlers is set-up.
    let claims_each: usize = env_or("OUTREACH_BENCH_CLAIMS_PER_HANDLER", 500);
    let total = handlers * claims_each;
    let lease = now.naive_utc() + chrono::Duration::minutes(15);
    let http_handlers = bulk_handlers(&url, "http", total);
    let http = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(handlers)
            .build()
            .unwrap();
        let started = Instant::now();
        let workers: Vec<_> = http_handlers
            .chunks(claims_each)
            .map(|mine| {
                let (client, address) = (client.clone(), address.clone());
                let tokens: Vec<String> = mine.iter().map(|(_, t)| t.clone()).collect();
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(tokens.len());
                    for token in tokens {
                        let t = Instant::now();
                        let call = claim_over_http(&client, &address, &token).await;
                        assert!(!call.script.no_payment_statement.is_empty());
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let latencies = common::joined(workers).await;
        Stats::since(started, latencies)
    });
    let same_statement = direct_claims(
        &url,
        &bulk_handlers(&url, "same", total),
        claims_each,
        |conn, user| {
            let asking = [queue::Asking {
                actor: Actor::System,
                handler_id: user,
            }];
            queue::store::claim_new(conn, &asking, now.naive_utc(), lease)
                .unwrap()
                .pop()
                .flatten()
                .is_some()
        },
    );
    let bare = direct_claims(
        &url,
        &bulk_handlers(&url, "bare", total),
        claims_each,
        |conn, user| {
            db::write_transaction(conn, |c| {
                queue::store::claim_first_queued(c, user, now.naive_utc(), lease)
            })
            .unwrap()
            .is_some()
        },
    );

    // --- A handler's working loop: claim, then record "no answer" (which releases the case).
    let cycle_tokens: Vec<String> = bulk_handlers(&url, "cycle", handlers)
        .into_iter()
        .map(|(_, token)| token)
        .collect();
    let cycle = runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(handlers)
            .build()
            .unwrap();
        let mut workers = Vec::new();
        for token in cycle_tokens {
            let (client, stop, address) = (client.clone(), stop.clone(), address.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let call = claim_over_http(&client, &address, &token).await;
                    let id = call.case.id;
                    let done = client
                        .post(format!("{address}/api/v1/cases/{id}/outcomes"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"outcome": "no_answer"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(done.status().as_u16(), 200);
                    latencies.push(t.elapsed());
                }
                latencies
            }));
        }
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let latencies = common::joined(workers).await;
        Stats::since(started, latencies)
    });

    let tables_secs = tables_floor.load(client_id, dir.path());

    println!("\nOutreach benchmark — PostgreSQL, {rows} cases, {handlers} concurrent handlers\n");
    println!("| round | `outreach import` (parse, guard, schedule, insert) | PostgreSQL `\\copy` of the same file just before, just after (floor: their mean) | import rate / COPY rate | share of the machine the host took (steal): import; floors |\n| --- | --- | --- | --- | --- |");
    for (i, round) in timings.iter().enumerate() {
        println!(
            "| {} | {:.2} s ({:.0} rows/s) | {:.2} s, {:.2} s: {:.2} s ({:.0} rows/s) | {:.3} | {}; {}, {} |",
            i + 1,
            round.import.seconds,
            rows as f64 / round.import.seconds,
            round.copy_before.seconds,
            round.copy_after.seconds,
            round.copy(),
            rows as f64 / round.copy(),
            round.ratio(),
            round.import.steal_percent(),
            round.copy_before.steal_percent(),
            round.copy_after.steal_percent(),
        );
    }
    println!(
        "\n{rows} rows. Median import rate / COPY rate = {:.3} (target ≥ 0.25); median import {:.2} s, median floor {:.2} s.",
        rounds::median(timings.iter().map(rounds::Round::ratio).collect()),
        rounds::median(timings.iter().map(|r| r.import.seconds).collect()),
        rounds::median(timings.iter().map(rounds::Round::copy).collect()),
    );
    println!(
        "PostgreSQL `\\copy` of the last round's imported rows into a fresh `cases` table: {tables_secs:.1} s; that round's import rate / this = {:.2}\n",
        tables_secs / import_secs
    );
    println!("| {total} claims, {handlers} at a time | claims | throughput | p50 | p99 |\n| --- | --- | --- | --- | --- |");
    println!(
        "{}",
        http.row("HTTP `POST /api/v1/calls/next` (token, claim, rules, script)")
    );
    println!(
        "{}",
        same_statement.row("the service's claim statement, direct (floor)")
    );
    println!(
        "{}",
        bare.row("minimal `UPDATE … FOR UPDATE SKIP LOCKED` in a transaction, direct")
    );
    println!(
        "\nHTTP / floor throughput = {:.2} (target ≥ 0.5; HTTP p99 target < 25 ms); HTTP / minimal statement = {:.2}\n",
        http.per_second() / same_statement.per_second(),
        http.per_second() / bare.per_second()
    );
    println!("| handler loop over HTTP, {seconds} s | cycles | cycles/s | p50 | p99 |\n| --- | --- | --- | --- | --- |");
    println!("{}", cycle.row("claim + record \"no answer\""));
    drop(state);
    drop(pool);
}

/// What the load generator reads of a claimed call. The rest of the answer is parsed past
/// without being built into a document: the generator shares the cores with the service.
#[derive(serde::Deserialize)]
struct ClaimedCall {
    case: ClaimedCase,
    script: ClaimedScript,
}

#[derive(serde::Deserialize)]
struct ClaimedCase {
    id: i64,
}

#[derive(serde::Deserialize)]
struct ClaimedScript {
    no_payment_statement: String,
}

/// `POST /api/v1/calls/next` as the handler holding `token`; the claimed call.
async fn claim_over_http(client: &reqwest::Client, address: &str, token: &str) -> ClaimedCall {
    let answer = client
        .post(format!("{address}/api/v1/calls/next"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    answer.json().await.unwrap()
}

/// `n` handlers with personal tokens, created set-wise (set-up, not measured): (user id, token).
/// The tokens count as in use: a token records its last use at most once a minute, so a fresh
/// one would add a write no handler working through their day makes.
fn bulk_handlers(url: &str, tag: &str, n: usize) -> Vec<(i64, String)> {
    #[derive(diesel::QueryableByName)]
    struct Handler {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        token: String,
    }
    let sql = "WITH u AS (INSERT INTO users (email, display_name, password_hash, role, created_at) \
        SELECT $1 || g || '@bench.example', 'Handler ' || g, '!', 'handler', now() FROM generate_series(1, $2) g RETURNING id), \
      t AS MATERIALIZED (SELECT id, 'ot_' || md5(random()::text || id) || md5(id::text || random()::text) AS token FROM u), \
      c AS (INSERT INTO api_credentials (kind, user_id, label, prefix, token_hash, created_at, last_used_at) \
        SELECT 'personal_token', id, 'bench', left(token, 10), encode(sha256(convert_to(token, 'UTF8')), 'hex'), now(), now() FROM t) \
      SELECT id, token FROM t ORDER BY id";
    let rows: Vec<Handler> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(tag)
        .bind::<diesel::sql_types::Integer, _>(n as i32)
        .load(&mut PgConnection::establish(url).unwrap())
        .unwrap();
    rows.into_iter().map(|h| (h.id, h.token)).collect()
}

/// Each of the handlers claims once, `per_thread` of them one after another on each of
/// `handlers.len() / per_thread` threads, each with its own connection (not the service's pool).
fn direct_claims(
    url: &str,
    handlers: &[(i64, String)],
    per_thread: usize,
    claim: impl Fn(&mut db::DbConn, i64) -> bool + Sync,
) -> Stats {
    let started = Instant::now();
    let latencies: Vec<Duration> = std::thread::scope(|scope| {
        let threads: Vec<_> = handlers
            .chunks(per_thread)
            .map(|mine| {
                let claim = &claim;
                scope.spawn(move || {
                    let mut conn = db::pool::establish(url).unwrap();
                    mine.iter()
                        .map(|(user, _)| {
                            let t = Instant::now();
                            assert!(claim(&mut conn, *user), "nothing was claimed");
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    Stats::since(started, latencies)
}
