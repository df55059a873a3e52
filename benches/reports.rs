//! Issue 6's benchmark: the client report over 1,000,000 cases and 5,000,000 attempts, over
//! HTTP, beside the same aggregate statements run directly against the database in the same run.
//!
//! OUTREACH_BENCH_POSTGRES_URL=postgres://… cargo bench --bench reports
//! Optional: OUTREACH_BENCH_CASES (default 1000000); five attempts per case.

use std::time::Instant;

use diesel::{connection::SimpleConnection, sql_query, Connection, PgConnection, RunQueryDsl};
use outreach::{audit::Actor, reports};

mod common;
use common::env_or;

const RUNS: usize = 5;

fn main() {
    let Some(database) = common::fresh_database("outreach_bench_reports") else {
        return;
    };
    let url = database.url.clone();
    let cases: i64 = env_or("OUTREACH_BENCH_CASES", 1_000_000);
    let common::Running {
        runtime,
        state,
        address,
    } = common::start(common::config(&url));

    let (client_id, key) = {
        let mut conn = state.pool.get().unwrap();
        let client_id = outreach::accounts::create_client(
            &mut conn,
            Actor::System,
            "Bench Utility",
            None,
            None,
        )
        .unwrap();
        let new = outreach::accounts::NewUser::parse(
            "report-bench@example.org",
            "Bench",
            "handler",
            None,
        )
        .unwrap();
        outreach::accounts::create_user(&mut conn, Actor::System, new).unwrap();
        (
            client_id,
            outreach::accounts::issue_client_key(&mut conn, Actor::System, client_id, "bench")
                .unwrap()
                .1,
        )
    };
    let started = Instant::now();
    let mut pg = PgConnection::establish(&url).unwrap();
    // VACUUM as autovacuum would: the steady state a report runs in, visibility map included.
    // The calls are counted by outcome in one statement, not by their trigger call by call (five
    // million counts queued to the commit), as the CSV import counts its referrals.
    pg.batch_execute(&format!(
        "INSERT INTO cases (client_id, reference, customer_name, region, timezone, amount_owed_minor, currency, \
           days_in_arrears, arrears_since, status, vulnerable, priority_band, attempts_count, referred_at, updated_at, \
           first_contact_at, re_engaged_at) \
         SELECT {client_id}, 'R' || g, 'Customer ' || g, 'england', 'Europe/London', 10000, 'GBP', 30, DATE '2025-01-01', \
           'scheduled', false, 2, 5, \
           TIMESTAMP '2025-01-01' + (g % 365) * INTERVAL '1 day' + (g % 86400) * INTERVAL '1 second', now(), \
           CASE WHEN g % 3 = 0 THEN TIMESTAMP '2025-01-01' + (g % 365 + 5) * INTERVAL '1 day' END, \
           CASE WHEN g % 6 = 0 THEN TIMESTAMP '2025-01-01' + (g % 365 + 9) * INTERVAL '1 day' END \
         FROM generate_series(1, {cases}) g; \
         ALTER TABLE contact_attempts DISABLE TRIGGER attempt_outcome_counted; \
         INSERT INTO contact_attempts (case_id, handler_id, attempted_at, outcome, conversation, recorded_at) \
         SELECT c.id, 1, c.referred_at + k * INTERVAL '1 day', 'no_answer', (k = 5 AND c.id % 3 = 0), now() \
         FROM cases c CROSS JOIN generate_series(1, 5) k; \
         ALTER TABLE contact_attempts ENABLE TRIGGER attempt_outcome_counted; \
         INSERT INTO milestone_counts (client_id, measure, hour, shard, n) \
         SELECT {client_id}, 'outcome:' || outcome, date_trunc('hour', attempted_at), 0, COUNT(*) \
         FROM contact_attempts GROUP BY 2, 3;"
    ))
    .unwrap();
    pg.batch_execute("VACUUM ANALYZE").unwrap();
    let load_secs = started.elapsed().as_secs_f64();

    let query = "from=2025-01-01&to=2025-12-31&group_by=month";
    let http = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let response = client
                .get(format!("{address}/api/v1/reports/re-engagement?{query}"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let report: serde_json::Value = response.json().await.unwrap();
            assert_eq!(report["totals"]["referred"], cases);
            times.push(t.elapsed().as_secs_f64());
        }
        times
    });

    // The same statements the report runs (periods and totals), straight on a connection.
    let from = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let zone = reports::periods::REPORT_ZONE;
    let scope = reports::query::Scope::Client(client_id);
    let mut periods = reports::periods::periods(from, to, reports::periods::Grouping::Month, zone);
    periods.push(reports::periods::whole(from, to, zone));
    let statements =
        reports::query::activity_statements(outreach::db::Backend::Postgres, scope, &periods);
    pg.batch_execute(&format!(
        "SET work_mem = '{}'",
        reports::query::REPORT_WORK_MEM
    ))
    .unwrap();
    let mut direct = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        for statement in &statements {
            sql_query(statement).execute(&mut pg).unwrap();
        }
        direct.push(t.elapsed().as_secs_f64());
    }
    let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let median = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        s[s.len() / 2]
    };
    println!("\nOutreach benchmark — re-engagement report, PostgreSQL, {cases} cases, {} attempts (loaded in {load_secs:.0} s)\n", cases * 5);
    println!("| what | runs | best | median |\n| --- | --- | --- | --- |");
    println!("| `GET /api/v1/reports/re-engagement` (12 months + totals, over HTTP) | {RUNS} | {:.3} s | {:.3} s |", best(&http), median(&http));
    println!(
        "| the same {} aggregate statements, direct | {RUNS} | {:.3} s | {:.3} s |",
        statements.len(),
        best(&direct),
        median(&direct)
    );
    println!(
        "\nHTTP / direct (median) = {:.2} (target ≤ 2, and under 1 s)",
        median(&http) / median(&direct)
    );
}
