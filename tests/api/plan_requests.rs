//! Plan requests as handlers send them: checked in their terms, only on their own call, and with
//! an income and spending summary in the Standard Financial Statement's lines.

use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::plans::case_with_plan;
use crate::helpers::TestApp;
use crate::queue::{outcome, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(plan_requests_are_validated_in_the_handlers_terms);
async fn plan_requests_are_validated_in_the_handlers_terms(app: TestApp) {
    let (token, case_id, _) = case_with_plan(&app).await;
    let response = app
        .api()
        .post(app.url(&format!("/api/v1/cases/{case_id}/plans")))
        .bearer_auth(&token)
        .json(&json!({"amount_minor": 999999999, "currency": "GBP", "frequency": "daily", "first_payment_on": "2026-01-01", "email": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    for field in ["amount_minor", "frequency", "first_payment_on", "email"] {
        assert!(body["fields"][field].is_array(), "{field}: {body}");
    }
    let versions: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::plans::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(versions, 1, "nothing saved");
    // Only the handler on the call proposes a plan; once the call ends, nobody does.
    let valid = json!({"amount_minor": 1000, "currency": "GBP", "frequency": "weekly", "first_payment_on": "2026-03-16", "email": "someone@example.org"});
    let propose = |token: String| {
        app.api()
            .post(app.url(&format!("/api/v1/cases/{case_id}/plans")))
            .bearer_auth(token)
            .json(&valid)
            .send()
    };
    let (_, other) = app.staff_token("handler");
    assert_eq!(propose(other).await.unwrap().status().as_u16(), 409);
    outcome(&app, &token, &case_id, json!({"outcome": "declined"})).await;
    assert_eq!(propose(token.clone()).await.unwrap().status().as_u16(), 409);
    let (versions, mails): (i64, i64) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::{outbox, plans};
        (
            plans::table.count().get_result(conn).unwrap(),
            outbox::table.count().get_result(conn).unwrap(),
        )
    });
    assert_eq!(
        (versions, mails),
        (1, 1),
        "no plan and no e-mail for a case not on a call"
    );
}

backend_test!(the_call_page_takes_income_and_spending_in_the_standard_financial_statements_lines);
async fn the_call_page_takes_income_and_spending_in_the_standard_financial_statements_lines(
    app: TestApp,
) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Statement Water"));
    let case = refer(&app, &key, referral("SFS-1")).await;
    let (handler, page) = app.new_handler_on_call(&case).await;
    let (_, html) = handler.get_text(&page).await;
    for line in [
        "Benefits and tax credits",
        "Food and housekeeping",
        "Priority debts",
        "Savings",
    ] {
        assert!(html.contains(line), "{line}");
    }
    let plan = |lines: &'static [(&'static str, &'static str)]| {
        let mut fields = vec![
            ("amount", "25.00"),
            ("frequency", "weekly"),
            ("first_payment_on", "2026-03-16"),
            ("email", "ann@example.org"),
            ("affordability_note", ""),
        ];
        fields.extend_from_slice(lines);
        let handler = &handler;
        let path = format!("{page}/plans");
        async move { handler.post_form(&path, &fields).await }
    };
    let refused = plan(&[("sfs_water", "-3")]).await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap().contains("cannot be negative"));
    // Amounts are read as written in the case's currency; one that cannot be read is named,
    // not taken as missing.
    let unreadable = plan(&[("sfs_water", "lots")]).await;
    assert_eq!(unreadable.status().as_u16(), 422);
    let html = unreadable.text().await.unwrap();
    assert!(html.contains("must be an amount such as £12.50"));
    // The screen comes back filled in as it was sent: nothing typed is lost.
    for kept in [
        r#"name="sfs_water" inputmode="decimal" value="lots""#,
        r#"name="amount" inputmode="decimal" placeholder="12.50" value="25.00""#,
        r#"<option value="weekly" selected>"#,
        r#"value="2026-03-16""#,
    ] {
        assert!(html.contains(kept), "{kept}");
    }
    let outcome = handler
        .post_form(
            &format!("{page}/outcome"),
            &[
                ("outcome", "needs_time"),
                ("pause_days", "0"),
                ("notes", "Ann is waiting for her first wage & will ring"),
            ],
        )
        .await;
    assert_eq!(outcome.status().as_u16(), 422);
    let html = outcome.text().await.unwrap();
    assert!(html.contains("must be between 1 and 90 days"));
    assert!(html.contains("Ann is waiting for her first wage &amp; will ring</textarea>"));
    assert!(html.contains(r#"<option value="needs_time" selected>"#));
    // £1,100 in, £1,000 out across the sections: £100 left, less than £108.33 a month.
    let recorded = plan(&[
        ("sfs_earnings", "900"),
        ("sfs_benefits", "200"),
        ("sfs_home_and_contents", "600"),
        ("sfs_food_and_housekeeping", "250"),
        ("sfs_savings", "50"),
        ("sfs_priority_debts", "100"),
        ("sfs_utilities", ""),
    ])
    .await;
    let html = recorded.text().await.unwrap();
    assert!(
        html.contains("£108.33 a month, more than the £100.00 a month left"),
        "{html}"
    );
    let stored: Option<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::plans;
        plans::table
            .select(plans::income_expenditure)
            .first(conn)
            .unwrap()
    });
    let stored: Value = serde_json::from_str(&stored.unwrap()).unwrap();
    assert_eq!(stored["benefits"], 20000);
    assert_eq!(
        stored.get("utilities"),
        None,
        "lines left empty are not recorded"
    );
}

backend_test!(a_date_the_call_page_cannot_read_is_named_not_taken_as_missing_or_today);
async fn a_date_the_call_page_cannot_read_is_named_not_taken_as_missing_or_today(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Dated Water"));
    let case = refer(&app, &key, referral("DATE-1")).await;
    let (handler, page) = app.new_handler_on_call(&case).await;
    let plan = [
        ("amount", "25.00"),
        ("frequency", "weekly"),
        ("first_payment_on", "16/03/2026"),
        ("email", "ann@example.org"),
        ("affordability_note", ""),
    ];
    let refused = handler.post_form(&format!("{page}/plans"), &plan).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("must be a date like"), "{html}");
    assert!(!html.contains("is required"), "it was typed: {html}");
    let breathing_space = [
        ("outcome", "breathing_space"),
        ("breathing_space_kind", "standard"),
        ("breathing_space_start", "16.03.2026"),
    ];
    let refused = handler
        .post_form(&format!("{page}/outcome"), &breathing_space)
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("must be a date like"), "{html}");
    assert!(
        html.contains(r#"value="16.03.2026""#),
        "what was typed is kept"
    );
    let stored = app
        .get_json(&format!("/api/v1/cases/{}", case["id"]), &key)
        .await;
    assert_eq!(
        stored["status"], "claimed",
        "no hold from a date nobody gave"
    );
}
