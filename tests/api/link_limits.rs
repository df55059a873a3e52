//! Customer links: rate-limited per client address (also behind a reverse proxy), and still
//! working after the service's key is rotated.

use crate::helpers::plans::{
    case_with_plan, drain, only_plan_link_token, plan_link, stop_emails_path, with_smtp,
};
use crate::helpers::{app::spawn_with, Backend};
use outreach::mail::catcher::SmtpSink;

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

/// Customers behind one address (a mobile carrier's, an office's) share its count, so only
/// links that match nothing use it up: a customer opening their own working link again and
/// again is never refused, while someone guessing still is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_links_never_use_up_a_shared_addresss_limit() {
    let app = spawn_with(Backend::Sqlite, |config| config.link_rate_limit = 3).await;
    case_with_plan(&app).await;
    let link = format!("/p/{}", only_plan_link_token(&app));
    let customer = app.anonymous();
    for _ in 0..6 {
        assert_eq!(customer.get_text(&link).await.0, 200);
    }
    for _ in 0..3 {
        assert_eq!(customer.get_text("/p/not-a-real-link").await.0, 404);
    }
    assert_eq!(customer.get_text("/p/not-a-real-link").await.0, 429);
}

/// The service's key is rotated (`OUTREACH_SESSION_KEY` replaced, the old one listed in
/// `OUTREACH_PREVIOUS_SESSION_KEYS`) while a plan e-mail waits in the outbox and an earlier
/// e-mail's "stop e-mails" link sits in the customer's inbox: both still work. Without the old
/// key listed, the waiting e-mail is not sent with a dead link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_made_before_the_key_was_rotated_keep_working() {
    for listed in [true, false] {
        let old_key = outreach::auth::tokens::random_bytes(64);
        let previous = if listed {
            vec![old_key.clone()]
        } else {
            vec![]
        };
        let sink = SmtpSink::start();
        let app = spawn_with(Backend::Sqlite, move |config| {
            with_smtp(sink.port)(config);
            config.previous_session_keys = previous;
        })
        .await;
        case_with_plan(&app).await;
        // The waiting e-mail's link was made under the old key.
        let link_nonce: String = app.with_conn(|conn| {
            use diesel::prelude::*;
            use outreach::db::schema::plan_links;
            let link_nonce: String = plan_links::table
                .select(plan_links::nonce)
                .first(conn)
                .unwrap();
            let old_token = outreach::plans::links::token_for(
                &old_key,
                outreach::plans::links::PURPOSE,
                &link_nonce,
            );
            diesel::update(plan_links::table)
                .set(plan_links::token_hash.eq(outreach::auth::tokens::hash_token(&old_token)))
                .execute(conn)
                .unwrap();
            link_nonce
        });
        drain(&app).await;
        let customer = app.anonymous();
        let stopped = customer
            .post_form(&stop_emails_path(&app, &old_key), &[])
            .await;
        let mail = sink.received();
        if !listed {
            assert!(mail.is_empty(), "not sent with a link that cannot work");
            assert_eq!(stopped.status().as_u16(), 404);
            continue;
        }
        assert_eq!(mail.len(), 1);
        let link = plan_link(&mail[0].data);
        let old_token = outreach::plans::links::token_for(
            &old_key,
            outreach::plans::links::PURPOSE,
            &link_nonce,
        );
        assert_eq!(link, format!("/p/{old_token}"));
        let (status, page) = customer.get_text(&link).await;
        assert_eq!(status, 200, "{page}");
        assert!(stopped
            .text()
            .await
            .unwrap()
            .contains("You will not get more e-mails"));
    }
}
