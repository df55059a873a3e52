//! Two-person exceptions: a second handler decides, a third person reviews.

use serde_json::json;

use crate::backend_test;
use crate::calls::post_json;
use crate::helpers::TestApp;
use crate::queue::{next_call, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(an_exception_needs_a_second_handler);
async fn an_exception_needs_a_second_handler(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Flex Co"));
    let case = refer(&app, &key, referral("X-1")).await;
    let (_, first) = app.staff_token("handler");
    let (_, second) = app.staff_token("handler");
    let proposal = json!({"arrangement": "Pause contact for 120 days", "reason": "Hospital stay"});
    let path = format!("/api/v1/cases/{}/exceptions", case["id"]);
    let (status, _) = post_json(&app, &first, &path, proposal.clone()).await;
    assert_eq!(
        status, 409,
        "proposed on the call, by the handler holding it"
    );
    let (_, call) = next_call(&app, &first).await;
    assert_eq!(call["case"]["id"], case["id"]);
    let (status, created) = post_json(
        &app,
        &first,
        &format!("/api/v1/cases/{}/exceptions", case["id"]),
        json!({"arrangement": "Pause contact for 120 days", "reason": "Hospital stay"}),
    )
    .await;
    assert_eq!(status, 201);
    let path = format!("/api/v1/exceptions/{}/decision", created["id"]);
    let (status, _) = post_json(&app, &first, &path, json!({"decision": "approve"})).await;
    assert_eq!(status, 409, "not the proposer");
    let (status, _) = post_json(&app, &second, &path, json!({"decision": "approve"})).await;
    assert_eq!(status, 204);
    let (status, _) = post_json(&app, &second, &path, json!({"decision": "approve"})).await;
    assert_eq!(
        status, 204,
        "the same decision again (a double click) stands"
    );
    let (status, _) = post_json(&app, &second, &path, json!({"decision": "decline"})).await;
    assert_eq!(status, 409, "decided once");
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert!(
        page.contains("Pause contact for 120 days"),
        "waits in the review queue"
    );
    assert!(
        page.contains("Approved by ") && !page.contains("Approved by —"),
        "the review names the second handler: {page}"
    );
    let review = format!("/supervisor/exceptions/{}/review", created["id"]);
    assert_eq!(
        supervisor.post_form(&review, &[]).await.status().as_u16(),
        303
    );
}

backend_test!(a_supervisor_does_not_review_an_exception_they_decided);
async fn a_supervisor_does_not_review_an_exception_they_decided(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Flex Two"));
    let case = refer(&app, &key, referral("X-2")).await;
    let (_, handler) = app.staff_token("handler");
    next_call(&app, &handler).await;
    let path = format!("/api/v1/cases/{}/exceptions", case["id"]);
    let proposal = json!({"arrangement": "Pause contact for 100 days", "reason": "Surgery"});
    let (_, created) = post_json(&app, &handler, &path, proposal).await;
    // A supervisor approves it as the second person…
    let (email, password) = app.create_user("supervisor", None);
    let supervisor_token = app.with_conn(|conn| {
        let id = outreach::accounts::store::user_id_by_email(conn, &email).unwrap();
        outreach::accounts::issue_personal_token(conn, outreach::audit::Actor::System, id, "calls")
            .unwrap()
            .1
    });
    let decision = format!("/api/v1/exceptions/{}/decision", created["id"]);
    let (status, _) = post_json(
        &app,
        &supervisor_token,
        &decision,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(status, 204);
    // …so the review afterwards must be someone else's.
    let same = app.anonymous();
    assert_eq!(same.login(&email, &password).await.status().as_u16(), 303);
    let review = format!("/supervisor/exceptions/{}/review", created["id"]);
    let (_, page) = same.get_text("/supervisor").await;
    assert!(
        !page.contains(&review) && page.contains("Proposed or decided by you"),
        "not offered to the decider"
    );
    let refused = same.post_form(&review, &[]).await;
    assert_eq!(refused.status().as_u16(), 409);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("you proposed or decided"));
    let other = app.login_as("supervisor", None).await;
    assert!(other.get_text("/supervisor").await.1.contains(&review));
    // Sent twice (a double click): reviewed is reviewed, not "we could not find that".
    for _ in 0..2 {
        assert_eq!(other.post_form(&review, &[]).await.status().as_u16(), 303);
    }
}

backend_test!(the_proposer_is_not_offered_their_own_exception_to_decide);
async fn the_proposer_is_not_offered_their_own_exception_to_decide(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Flex Three"));
    let case = refer(&app, &key, referral("X-3")).await;
    let (proposer, _) = app.new_handler_on_call(&case).await;
    let proposed = proposer
        .post_form(
            &format!("/calls/{}/exceptions", case["id"]),
            &[
                ("arrangement", "Pause contact for 100 days"),
                ("reason", "Surgery"),
            ],
        )
        .await;
    assert!(proposed.status().is_redirection());
    let (_, mine) = proposer.get_text("/queue").await;
    assert!(mine.contains("Pause contact for 100 days"), "{mine}");
    assert!(mine.contains("Yours: a second handler decides"));
    assert!(!mine.contains("/decision"));
    let second = app.login_as("handler", None).await;
    let (_, theirs) = second.get_text("/queue").await;
    assert!(theirs.contains("/decision"), "{theirs}");
}

backend_test!(an_exception_for_an_erased_customer_is_no_longer_decided);
/// The customer's data was erased while the proposal waited for a second handler: it leaves the
/// handlers' list, and a decision sent anyway is refused.
async fn an_exception_for_an_erased_customer_is_no_longer_decided(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Gone Co"));
    let case = refer(&app, &key, referral("X-9")).await;
    let (_, first) = app.staff_token("handler");
    let (_, second) = app.staff_token("handler");
    next_call(&app, &first).await;
    let (status, created) = post_json(
        &app,
        &first,
        &format!("/api/v1/cases/{}/exceptions", case["id"]),
        json!({"arrangement": "Pause contact for 120 days", "reason": "Hospital stay"}),
    )
    .await;
    assert_eq!(status, 201);
    let erased = app
        .api()
        .post(app.url(&format!("/api/v1/cases/{}/erase", case["id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert!(erased.status().is_success(), "{}", erased.status());
    let handler = app.login_as("handler", None).await;
    let (_, queue) = handler.get_text("/queue").await;
    assert!(!queue.contains("/decision"), "{queue}");
    let path = format!("/api/v1/exceptions/{}/decision", created["id"]);
    let (status, _) = post_json(&app, &second, &path, json!({"decision": "approve"})).await;
    assert_eq!(status, 409);
}
