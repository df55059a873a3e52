//! What supervisors see of the team.

use serde_json::json;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::queue::{next_call, outcome, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(the_team_view_counts_each_handler_apart_and_follow_ups_name_their_case);
async fn the_team_view_counts_each_handler_apart_and_follow_ups_name_their_case(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Team Co"));
    for reference in ["T-1", "T-2"] {
        refer(&app, &key, referral(reference)).await;
    }
    // Two handlers who share a display name each make one call; the second ends it for abuse.
    let mut ended_for_abuse = None;
    for ending in ["no_answer", "abusive_call_ended"] {
        let (_, token) = app.staff_token("handler");
        let (_, call) = next_call(&app, &token).await;
        ended_for_abuse = call["case"]["id"].as_i64();
        outcome(
            &app,
            &token,
            &call["case"]["id"],
            json!({"outcome": ending}),
        )
        .await;
    }
    let supervisor = app.login_as("supervisor", None).await;
    let (_, page) = supervisor.get_text("/supervisor").await;
    assert_eq!(
        page.matches("<tr><td>Test Person</td><td>1</td></tr>")
            .count(),
        2,
        "{page}"
    );
    assert!(page.contains("\">case "), "the follow-up links to its case");
    // Showing the case in a list is case access: audited.
    let listed: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("cases_listed"))
            .select(audit_log::detail)
            .load(conn)
            .unwrap()
    });
    let case = ended_for_abuse.unwrap();
    assert_eq!(listed, [format!("supervisor overview: cases {case}")]);
}
