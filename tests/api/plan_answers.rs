//! What the customer's answer to a plan does to their case: given on the phone to the handler,
//! given later with a callback still wanted, and how the handler is credited for it.

use chrono::NaiveDate;
use serde_json::json;

use crate::backend_test;
use crate::helpers::plans::{case_state, case_with_plan, only_plan_link_token};
use crate::helpers::TestApp;
use crate::queue::outcome;

backend_test!(a_plan_confirmed_after_the_call_keeps_the_callback_the_customer_asked_for);
async fn a_plan_confirmed_after_the_call_keeps_the_callback_the_customer_asked_for(app: TestApp) {
    let (handler, case_id, _) = case_with_plan(&app).await;
    let callback = json!({"outcome": "callback_requested", "callback_at": "2026-03-13T10:00"});
    assert_eq!(outcome(&app, &handler, &case_id, callback).await.0, 200);
    let link = only_plan_link_token(&app);
    app.anonymous()
        .post_form(&format!("/p/{link}/confirm"), &[])
        .await;
    // Re-engaged, and still called back on Friday as they asked.
    assert_eq!(case_state(&app, &case_id), ("scheduled".into(), None));
    let (re_engaged, next): (Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>) = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            use outreach::db::schema::cases::dsl::*;
            cases
                .find(case_id.as_i64().unwrap())
                .select((re_engaged_at, next_contact_at))
                .first(conn)
                .unwrap()
        });
    assert!(re_engaged.is_some());
    let friday = NaiveDate::from_ymd_opt(2026, 3, 13).unwrap();
    assert_eq!(next.map(|at| at.date()), Some(friday));
}

backend_test!(a_handler_is_credited_with_a_plan_the_customer_confirmed_on_their_call);
async fn a_handler_is_credited_with_a_plan_the_customer_confirmed_on_their_call(app: TestApp) {
    let (handler, case_id, _) = case_with_plan(&app).await;
    let link = only_plan_link_token(&app);
    app.anonymous()
        .post_form(&format!("/p/{link}/confirm"), &[])
        .await;
    let proposed = json!({"outcome": "plan_proposed"});
    assert_eq!(outcome(&app, &handler, &case_id, proposed).await.0, 200);
    let whole = outreach::reports::periods::whole(
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        outreach::reports::periods::REPORT_ZONE,
    );
    let rows = app.with_conn(|conn| {
        outreach::reports::query::by_handler(
            conn,
            outreach::reports::query::Scope::AllClients,
            &whole,
        )
        .unwrap()
    });
    let credited: Vec<(i64, i64)> = rows
        .iter()
        .filter(|row| row.attempted > 0)
        .map(|row| (row.plans_confirmed, row.re_engaged))
        .collect();
    assert_eq!(credited, [(1, 1)], "the handler whose call it was");
}

backend_test!(a_change_asked_for_twice_is_one_request_and_keeps_both_messages);
async fn a_change_asked_for_twice_is_one_request_and_keeps_both_messages(app: TestApp) {
    let (_, case_id, _) = case_with_plan(&app).await;
    let link = only_plan_link_token(&app);
    let customer = app.anonymous();
    for message in ["Could it start in May?", "Fortnightly would suit me better"] {
        let answered = customer
            .post_form(&format!("/p/{link}/change"), &[("message", message)])
            .await;
        assert_eq!(answered.status().as_u16(), 200);
        let page = answered.text().await.unwrap();
        assert!(page.contains("we will call you back"), "{page}");
    }
    let kept: Option<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::plans;
        plans::table
            .filter(plans::case_id.eq(case_id.as_i64().unwrap()))
            .select(plans::change_message)
            .first(conn)
            .unwrap()
    });
    let kept = kept.unwrap();
    assert!(
        kept.contains("start in May") && kept.contains("Fortnightly"),
        "{kept}"
    );
    assert_eq!(
        app.audit_count("plan_change_requested", case_id.as_i64().unwrap()),
        1
    );
    assert_eq!(
        app.audit_count("plan_change_message_added", case_id.as_i64().unwrap()),
        1,
        "the second message changed the case's data: audited too"
    );
    // Confirming in another tab afterwards says the same, not "no longer open".
    let page = customer
        .post_form(&format!("/p/{link}/confirm"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("we will call you back"), "{page}");
    let (_, page) = customer.get_text(&format!("/p/{link}")).await;
    assert!(page.contains("You asked for a change"), "{page}");
    assert!(!page.contains("Confirm this plan"));
}

backend_test!(a_plan_link_shows_nothing_of_a_customer_known_to_have_died);
async fn a_plan_link_shows_nothing_of_a_customer_known_to_have_died(app: TestApp) {
    let (handler, case_id, _) = case_with_plan(&app).await;
    let link = only_plan_link_token(&app);
    let deceased = json!({"outcome": "deceased"});
    assert_eq!(outcome(&app, &handler, &case_id, deceased).await.0, 200);
    let (status, page) = app.anonymous().get_text(&format!("/p/{link}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("no longer open"), "{page}");
    assert!(
        !page.contains("Hello") && !page.contains("Confirm this plan"),
        "{page}"
    );
}

backend_test!(a_customer_meets_an_error_on_the_customers_own_page);
async fn a_customer_meets_an_error_on_the_customers_own_page(app: TestApp) {
    let (_, _, _) = case_with_plan(&app).await;
    let link = only_plan_link_token(&app);
    // A form whose token is missing (cookies blocked, a page left open for days).
    let expired = app
        .anonymous()
        .post_raw_form(&format!("/p/{link}/confirm"), &[])
        .await;
    assert!(expired.status().is_client_error());
    let page = expired.text().await.unwrap();
    assert!(page.contains("<strong>Your plan</strong>"), "{page}");
    assert!(
        !page.contains("start page"),
        "no way into the staff pages: {page}"
    );
}
