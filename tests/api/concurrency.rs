//! Two service instances against one PostgreSQL database, 32 handlers claiming at once: every
//! due case is claimed exactly once and none is lost.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{app::spawn_with, postgres, Backend, TestApp};
use crate::referrals::tuesday_morning;

const CASES: usize = 2000;

/// Two service instances on one PostgreSQL database, both clocks on Tuesday morning.
async fn two_instances() -> (TestApp, TestApp) {
    let first = spawn_with(Backend::Postgres, |c| c.pool_size = 12).await;
    let url = first.state.config.database_url.clone();
    let second = spawn_with(Backend::Postgres, move |c| {
        c.database_url = url;
        c.pool_size = 12;
    })
    .await;
    first.state.clock.pin(tuesday_morning());
    second.state.clock.pin(tuesday_morning());
    (first, second)
}

/// `count` cases for the client, referred and due on Tuesday morning.
fn refer_many(app: &TestApp, client_id: i64, count: usize) {
    app.with_conn(|conn| {
        let referrals: Vec<_> = (0..count)
            .map(|i| {
                outreach::intake::referral::ReferralRequest {
                    reference: format!("C-{i:05}"),
                    name: format!("Customer {i}"),
                    region: "england".into(),
                    amount_owed_minor: Some(json!(10_000 + i)),
                    currency: "GBP".into(),
                    days_in_arrears: Some(json!(i % 365)),
                    ..Default::default()
                }
                .parse()
                .unwrap()
            })
            .collect();
        let created = outreach::intake::Intake::for_client(conn, client_id)
            .unwrap()
            .refer_batch(
                conn,
                outreach::audit::Actor::System,
                referrals,
                tuesday_morning(),
            )
            .unwrap();
        assert_eq!(created, count);
    });
}

const HANDLERS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_and_32_handlers_claim_every_case_exactly_once() {
    if !postgres::available() {
        return;
    }
    let (first, second) = two_instances().await;

    let client_id = first.create_client("Busy Utility");
    refer_many(&first, client_id, CASES);

    let tokens: Vec<String> = (0..HANDLERS)
        .map(|_| first.staff_token("handler").1)
        .collect();
    let addresses = [first.address.clone(), second.address.clone()];
    let mut workers = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let base = addresses[i % 2].clone();
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut claimed = Vec::new();
            loop {
                let response = http
                    .post(format!("{base}/api/v1/calls/next"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                match response.status().as_u16() {
                    204 => break,
                    200 => {}
                    other => panic!(
                        "claim failed with {other}: {}",
                        response.text().await.unwrap()
                    ),
                }
                let call: serde_json::Value = response.json().await.unwrap();
                let id = call["case"]["id"].as_i64().unwrap();
                claimed.push(id);
                let done = http
                    .post(format!("{base}/api/v1/cases/{id}/outcomes"))
                    .bearer_auth(&token)
                    .json(&json!({"outcome": "declined"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    done.status().as_u16(),
                    200,
                    "{}",
                    done.text().await.unwrap()
                );
            }
            claimed
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), CASES, "every case claimed, none twice");
    assert_eq!(unique.len(), CASES);
    let still_open: i64 = first.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .filter(status.ne("closed"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(still_open, 0, "none lost");
}

/// One handler sending several claims at the same instant (two tabs, a double click, a retry)
/// through both instances still holds exactly one case, and every answer names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_handler_claiming_many_times_at_once_holds_one_case() {
    const HANDLERS: usize = 8;
    const AT_ONCE: usize = 6;
    if !postgres::available() {
        return;
    }
    let (first, second) = two_instances().await;
    let client_id = first.create_client("Eager Utility");
    refer_many(&first, client_id, HANDLERS * AT_ONCE);
    let handlers: Vec<(i64, String)> = (0..HANDLERS)
        .map(|_| first.staff_token("handler"))
        .collect();
    let addresses = [first.address.clone(), second.address.clone()];
    let http = reqwest::Client::new();
    let mut requests = Vec::new();
    for (_, token) in &handlers {
        for i in 0..AT_ONCE {
            let request = http
                .post(format!("{}/api/v1/calls/next", addresses[i % 2]))
                .bearer_auth(token)
                .send();
            requests.push(tokio::spawn(async move {
                let response = request.await.unwrap();
                assert_eq!(response.status().as_u16(), 200);
                let call: serde_json::Value = response.json().await.unwrap();
                call["case"]["id"].as_i64().unwrap()
            }));
        }
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    for (n, answers) in answers.chunks(AT_ONCE).enumerate() {
        assert!(
            answers.iter().all(|id| *id == answers[0]),
            "handler {n} was handed {answers:?}"
        );
    }
    let claimed: Vec<(i64, i64)> = first.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .filter(status.eq("claimed"))
            .select((id, claimed_by.assume_not_null()))
            .load(conn)
            .unwrap()
    });
    assert_eq!(claimed.len(), HANDLERS, "one case per handler: {claimed:?}");
}

/// Asking whether a handler already holds a case is one index look-up however stale the
/// planner's statistics are. Before migration 14 the waiting-cases index also covered claims, and
/// after an import (statistics taken while everything was queued) the check walked every
/// scheduled case on each claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holds_a_case_check_stays_one_lookup_when_statistics_are_stale() {
    use diesel::{connection::SimpleConnection, sql_query, QueryableByName, RunQueryDsl};
    if !postgres::available() {
        return;
    }
    let app = spawn_with(Backend::Postgres, |_| {}).await;
    let client_id = app.create_client("Stale Stats Co");
    refer_many(&app, client_id, 5000);
    app.with_conn(|conn| {
        // Statistics from when every case was queued; then most become scheduled.
        conn.batch_execute(
            "ANALYZE cases; UPDATE cases SET status = 'scheduled' WHERE id % 5 <> 0",
        )
        .unwrap();
    });
    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[diesel(column_name = "QUERY PLAN")]
        line: String,
    }
    let plan: Vec<Plan> = app.with_conn(|conn| {
        sql_query(
            "EXPLAIN SELECT 1 FROM cases h WHERE h.status = 'claimed' AND h.claimed_by = 1 \
             AND h.claim_expires_at > now()",
        )
        .load(conn)
        .unwrap()
    });
    let plan: Vec<String> = plan.into_iter().map(|p| p.line).collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("cases_one_claim_per_handler"))
            && plan
                .iter()
                .any(|l| l.contains("Index Cond: (claimed_by = 1)")),
        "{plan:#?}"
    );
}
