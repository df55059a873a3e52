//! Retention rounds with several instances: one instance erases an hour's due cases while the
//! others leave the round to it.

use chrono::Duration;
use diesel::{connection::SimpleConnection, Connection, PgConnection};
use serde_json::json;

use crate::data_rights::call;
use crate::helpers::{app::spawn_app, Backend};
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

/// Another instance holds the round (its lock, on its own connection): this one skips it and
/// erases nothing; once that ends, the round is this one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_at_a_time_runs_a_retention_round() {
    if !crate::helpers::postgres::available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Round Council"));
    let retention = json!({"retention_days": 30});
    let (status, _) = call(&app, &key, "PUT", "/api/v1/data-retention", retention).await;
    assert_eq!(status, 200);
    refer(&app, &key, referral("ROUND-1")).await;
    let (_, token) = app.staff_token("handler");
    let (_, claimed) = next_call(&app, &token).await;
    let declined = json!({"outcome": "declined"});
    outcome(&app, &token, &claimed["case"]["id"], declined).await;

    let later = (tuesday_morning() + Duration::days(31)).naive_utc();
    let mut other_instance = PgConnection::establish(&app.state.config.database_url).unwrap();
    let lock = |verb: &str| {
        format!(
            "SELECT pg_advisory_{verb}({})",
            outreach::cases::privacy::RETENTION_LOCK_KEY
        )
    };
    other_instance.batch_execute(&lock("lock")).unwrap();
    let round = |app: &crate::helpers::TestApp| {
        app.with_conn(|conn| {
            outreach::cases::privacy::apply_retention_alone(conn, later, &|| false).unwrap()
        })
    };
    assert_eq!(round(&app), None, "left to the instance running it");
    other_instance.batch_execute(&lock("unlock")).unwrap();
    assert_eq!(round(&app), Some(1));
    assert_eq!(round(&app), Some(0), "the lock was let go after the round");
}
