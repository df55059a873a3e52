//! Issue 5's benchmark: the customer's confirmation page under 64 concurrent visitors beside the
//! raw token look-up in the same run, and outbox throughput to a local SMTP server.
//!
//! OUTREACH_BENCH_POSTGRES_URL=postgres://… cargo bench --bench links_and_mail
//! Optional: OUTREACH_BENCH_SECONDS (default 10), OUTREACH_BENCH_MESSAGES (default 5000).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::TimeZone;
use outreach::{audit::Actor, mail, plans};

mod common;
use common::{env_or, Stats};

const CONCURRENCY: usize = 64;

fn main() {
    let Some(database) = common::fresh_database("outreach_bench_links") else {
        return;
    };
    let url = database.url.clone();
    let seconds: u64 = env_or("OUTREACH_BENCH_SECONDS", 10);
    let messages: usize = env_or("OUTREACH_BENCH_MESSAGES", 5000);
    let catcher = mail::catcher::SmtpSink::start();
    let mut cfg = common::config(&url);
    cfg.link_rate_limit = u32::MAX;
    cfg.smtp = Some(outreach::config::SmtpSettings {
        host: "127.0.0.1".into(),
        port: catcher.port,
        username: None,
        password: None,
        tls: outreach::config::SmtpTls::None,
    });
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap();
    let common::Running {
        runtime,
        state,
        address,
    } = common::start(cfg);
    state.clock.pin(now);

    // One customer with a plan, and `messages` customers whose attempts ran out (one e-mail each).
    let pool = state.pool.clone();
    let mut conn = pool.get().unwrap();
    let client_id = outreach::accounts::create_client(
        &mut conn,
        Actor::System,
        "Bench Water",
        Some("help@bench.test"),
        None,
    )
    .unwrap();
    let handler = {
        let new = outreach::accounts::NewUser::parse(
            "bench-handler@example.org",
            "Bench",
            "handler",
            None,
        )
        .unwrap();
        outreach::accounts::create_user(&mut conn, Actor::System, new)
            .unwrap()
            .0
    };
    let referrals: Vec<_> = (0..=messages)
        .map(|i| {
            outreach::intake::referral::ReferralRequest {
                reference: format!("L-{i}"),
                name: format!("Customer {i}"),
                email: Some(format!("customer{i}@example.org")),
                region: "england".into(),
                amount_owed_minor: Some(serde_json::json!(50_000)),
                currency: "GBP".into(),
                days_in_arrears: Some(serde_json::json!(30)),
                ..Default::default()
            }
            .parse()
            .unwrap()
        })
        .collect();
    let mut intake = outreach::intake::Intake::for_client(&mut conn, client_id).unwrap();
    // The plan's customer alone first, so the handler's claim (a plan is proposed on a call the
    // handler holds) takes their case.
    let mut referrals = referrals.into_iter();
    intake
        .refer_batch(
            &mut conn,
            Actor::System,
            referrals.by_ref().take(1).collect(),
            now,
        )
        .unwrap();
    let claim = outreach::queue::claim_next(
        &mut conn,
        &state.reference,
        Actor::User(handler),
        handler,
        now,
        outreach::queue::lease(),
        true,
    )
    .unwrap();
    let outreach::queue::Claim::Claimed(claimed) = claim else {
        panic!("the plan's customer is due: {claim:?}")
    };
    let case_id = claimed.case.id;
    intake
        .refer_batch(&mut conn, Actor::System, referrals.collect(), now)
        .unwrap();
    let request = plans::terms::PlanRequest {
        amount_minor: Some(1250),
        currency: "GBP".into(),
        frequency: "weekly".into(),
        first_payment_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 16),
        email: "customer0@example.org".into(),
        ..Default::default()
    };
    plans::propose(
        &mut conn,
        Actor::System,
        handler,
        case_id,
        request,
        now,
        plans::links::LinkSettings::of(&state.config),
    )
    .unwrap();
    let (token, _) = plans::links::token_of(&mut conn, &state.config.link_secrets(), 1).unwrap();
    for i in 1..=messages {
        let case =
            outreach::cases::store::find_by_reference(&mut conn, client_id, &format!("L-{i}"))
                .unwrap()
                .unwrap();
        mail::outbox::enqueue(
            &mut conn,
            mail::outbox::kind::UNABLE_TO_CONTACT,
            Some(case.id),
            case.email.as_deref().unwrap(),
            &serde_json::json!({}),
            now.naive_utc(),
        )
        .unwrap();
    }
    drop(conn);

    // --- The confirmation page over HTTP at concurrency 64.
    let page = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (client, stop, url) =
                    (client.clone(), stop.clone(), format!("{address}/p/{token}"));
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let response = client.get(&url).send().await.unwrap();
                        assert_eq!(response.status().as_u16(), 200);
                        response.bytes().await.unwrap();
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let latencies = common::joined(workers).await;
        Stats::since(started, latencies)
    });

    // --- The raw look-up the page rests on: token hash → link → plan, on the pool.
    let lookup = {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (pool, stop, token) = (pool.clone(), stop.clone(), token.clone());
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    let mut latencies = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let plans::links::LinkState::Valid { plan_id } =
                            plans::links::resolve(&mut conn, &token, now.naive_utc()).unwrap()
                        else {
                            panic!("the link resolves")
                        };
                        plans::store::find(&mut conn, plan_id).unwrap();
                        latencies.push(t.elapsed());
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
        Stats::since(started, latencies)
    };

    // --- The outbox drained to the local SMTP server.
    let transport = Arc::new(mail::transport::Transport::from_config(&state.config).unwrap());
    let started = Instant::now();
    let sent = runtime
        .block_on(mail::worker::drain(state.clone(), transport))
        .unwrap();
    let mail_secs = started.elapsed().as_secs_f64();
    assert_eq!(catcher.received().len(), sent);

    println!("\nOutreach benchmark — customer links and e-mail, PostgreSQL, {seconds} s each\n");
    println!("| what | requests | rate | p50 | p99 |\n| --- | --- | --- | --- | --- |");
    println!(
        "{}",
        page.row("`GET /p/{token}` confirmation page, 64 concurrent")
    );
    println!(
        "{}",
        lookup.row("raw token look-up (hash → link → plan), 8 threads on the pool")
    );
    println!(
        "\npage / raw look-up throughput = {:.2}\n",
        page.per_second() / lookup.per_second()
    );
    println!("| outbox | messages | seconds | rate |\n| --- | --- | --- | --- |");
    println!("| rendered and sent over SMTP (16 pooled connections) | {sent} | {mail_secs:.1} | {:.0}/s (target ≥ 200/s) |", sent as f64 / mail_secs);
}
