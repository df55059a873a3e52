use crate::backend_test;
use crate::helpers::{app::spawn_with, Backend, TestApp};

backend_test!(health_and_readiness_answer);
async fn health_and_readiness_answer(app: TestApp) {
    let client = app.api();
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

backend_test!(metrics_count_requests_by_route_pattern);
async fn metrics_count_requests_by_route_pattern(app: TestApp) {
    let client = app.api();
    client.get(app.url("/healthz")).send().await.unwrap();
    client
        .get(app.url("/admin/clients/12345"))
        .send()
        .await
        .unwrap();
    // Made-up methods share one label, however many a caller invents.
    for invented in ["FOO1", "FOO2"] {
        let method = reqwest::Method::from_bytes(invented.as_bytes()).unwrap();
        client
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
    }
    let text = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "outreach_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"/admin/clients/{id}\""),
        "ids must not become labels: {text}"
    );
    assert!(!text.contains("12345"));
    assert!(
        text.contains("method=\"OTHER\"") && !text.contains("FOO1"),
        "{text}"
    );
    assert!(text.contains("outreach_http_request_duration_seconds_bucket"));
    assert!(text.contains("outreach_db_pool_max_connections 8"));
}

backend_test!(every_response_carries_a_request_id);
async fn every_response_carries_a_request_id(app: TestApp) {
    let client = app.api();
    let response = client.get(app.url("/healthz")).send().await.unwrap();
    assert!(response.headers().get("x-request-id").is_some());
    let response = client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
}

/// Pages may run only the service's own scripts and styles, no other site may frame them, and
/// no page's address (a customer's holds their link's token) is sent on to the sites it links to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_tell_browsers_what_they_may_do() {
    for secure in [false, true] {
        let app = spawn_with(Backend::Sqlite, |config| {
            config.secure_cookies = secure;
        })
        .await;
        // A page, an error page (a fresh response of its own), and a customer's link gone bad.
        for path in ["/login", "/no-such-page", "/p/not-a-real-token"] {
            let response = app.api().get(app.url(path)).send().await.unwrap();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|value| value.to_str().unwrap().to_string())
            };
            let policy = header("content-security-policy")
                .unwrap_or_else(|| panic!("{path}: no content security policy"));
            for rule in [
                "script-src 'self'",
                "style-src 'self'",
                "frame-ancestors 'none'",
            ] {
                assert!(policy.contains(rule), "{path}: {policy}");
            }
            assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
            assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
            assert_eq!(
                header("strict-transport-security").is_some(),
                secure,
                "HTTPS only is asked for where the service is served over it"
            );
        }
    }
}

backend_test!(unknown_pages_are_friendly_and_unknown_api_routes_are_json);
async fn unknown_pages_are_friendly_and_unknown_api_routes_are_json(app: TestApp) {
    let client = app.api();
    let page = client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 404);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("We could not find that."));
    let api = client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 404);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_reports_an_unreachable_database() {
    // A PostgreSQL URL nobody listens on: the process is alive, but not ready.
    let app = crate::helpers::app::spawn_unmigrated_for_readiness().await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", app.0))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = client
        .get(format!("{}/readyz", app.0))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let api = client
        .get(format!("{}/api/v1/me", app.0))
        .bearer_auth("ok_whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 503, "database down is 503, not 500");
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_only_the_token_when_one_is_set() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.metrics_token = Some("scrape-me".into());
    })
    .await;
    let client = app.api();
    let metrics = |token: Option<&'static str>| {
        let mut request = client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(metrics(None).await, 401);
    assert_eq!(metrics(Some("guess")).await, 401);
    assert_eq!(metrics(Some("scrape-me")).await, 200);
}

/// A probe that queued behind the requests would call an instance whose database answers
/// "unreachable" whenever it is busy, and the load balancer would take it out of rotation just
/// when it is needed (and then the next one). Here the pool's one connection is held by a request
/// waiting on a lock; the database itself answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_instance_whose_database_answers_is_ready() {
    use diesel::{connection::SimpleConnection, Connection, PgConnection, RunQueryDsl};
    if !crate::helpers::postgres::available() {
        return;
    }
    let app = spawn_with(Backend::Postgres, |config| {
        config.pool_size = 1;
        config.db_timeout = std::time::Duration::from_secs(2);
    })
    .await;
    let client_id = app.create_client("Busy Co");
    let key = app.client_api_key(client_id);
    let url = app.state.config.database_url.clone();
    let mut blocker = PgConnection::establish(&url).unwrap();
    blocker
        .batch_execute("BEGIN; LOCK TABLE api_credentials IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let busy = {
        let (client, url) = (app.api(), app.url("/api/v1/cases/1"));
        tokio::spawn(async move { client.get(url).bearer_auth(key).send().await })
    };
    // Until the request holds the pool's connection, waiting on the lock.
    let mut watcher = PgConnection::establish(&url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for _ in 0..100 {
        let waiting: Waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result(&mut watcher)
        .unwrap();
        if waiting.n > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ready = app.api().get(app.url("/readyz")).send().await.unwrap();
    let status = ready.status().as_u16();
    blocker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(status, 200, "{}", ready.text().await.unwrap());
    let answered = busy.await.unwrap().unwrap();
    assert_eq!(answered.status().as_u16(), 404, "the held request finishes");
}
