//! Customer link pages are rate-limited per client address, also behind a reverse proxy.

use crate::helpers::{app::spawn_with, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_customer_has_their_own_limit() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        config.link_rate_limit = 3;
    })
    .await;
    let client = app.api();
    let get = |forwarded_for: &'static str| {
        let request = client
            .get(app.url("/p/not-a-real-link"))
            .header("x-forwarded-for", forwarded_for);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(get("203.0.113.7").await, 404);
    }
    assert_eq!(
        get("203.0.113.7").await,
        429,
        "this customer is over the limit"
    );
    assert_eq!(get("198.51.100.4").await, 404, "another customer is not");
}
