//! Reports by e-mail: a client sets how often, and each period's report is queued once.

use crate::backend_test;
use crate::helpers::TestApp;
use crate::reports::{at, fixture};

backend_test!(scheduled_reports_are_queued_once_per_period);
async fn scheduled_reports_are_queued_once_per_period(app: TestApp) {
    let (a, _) = fixture(&app);
    let user = app.login_as("client", Some(a)).await;
    // A mistyped address: the report page again, the form as sent and the field named.
    let refused = user
        .post_form(
            "/portal/reports/schedule",
            &[("frequency", "weekly"), ("email", "reports@")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("is not a valid e-mail address"), "{html}");
    assert!(html.contains(r#"<option value="weekly" selected>"#));
    assert!(html.contains(r#"value="reports@""#));
    let saved = user
        .post_form(
            "/portal/reports/schedule",
            &[("frequency", "monthly"), ("email", "reports@report-a.test")],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    let queued = app.with_conn(|conn| {
        outreach::reports::scheduled::enqueue_due(conn, today, at("2026-03-03 06:00")).unwrap()
    });
    assert_eq!(queued, 1);
    let again = app.with_conn(|conn| {
        outreach::reports::scheduled::enqueue_due(conn, today, at("2026-03-03 07:00")).unwrap()
    });
    assert_eq!(again, 0, "once per period");
    assert_eq!(
        crate::helpers::plans::drain(&app).await,
        1,
        "it renders and sends"
    );
}

backend_test!(weeks_missed_while_no_instance_ran_are_still_reported);
async fn weeks_missed_while_no_instance_ran_are_still_reported(app: TestApp) {
    use diesel::prelude::*;
    use outreach::db::schema::clients;
    let (a, _) = fixture(&app);
    let user = app.login_as("client", Some(a)).await;
    let saved = user
        .post_form(
            "/portal/reports/schedule",
            &[("frequency", "weekly"), ("email", "reports@report-a.test")],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    // The last report went out for week 6; the service then ran again only in week 10.
    app.with_conn(|conn| {
        diesel::update(clients::table.find(a))
            .set(clients::last_report_period.eq("2026-W06"))
            .execute(conn)
            .unwrap()
    });
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    let queued = app.with_conn(|conn| {
        outreach::reports::scheduled::enqueue_due(conn, today, at("2026-03-03 06:00")).unwrap()
    });
    assert_eq!(queued, 3, "weeks 7, 8 and 9");
    let periods: Vec<String> = app.with_conn(|conn| {
        use outreach::db::schema::outbox;
        outbox::table
            .filter(outbox::kind.eq("client_report"))
            .order(outbox::id)
            .select(outbox::payload)
            .load::<String>(conn)
            .unwrap()
            .iter()
            .map(|p| serde_json::from_str::<serde_json::Value>(p).unwrap()["period"].to_string())
            .collect()
    });
    assert_eq!(periods, [r#""2026-W07""#, r#""2026-W08""#, r#""2026-W09""#]);
    let again = app.with_conn(|conn| {
        outreach::reports::scheduled::enqueue_due(conn, today, at("2026-03-03 07:00")).unwrap()
    });
    assert_eq!(again, 0, "once per period");

    // Switched off, then on again six weeks later: the weeks it was off are not owed.
    for frequency in ["none", "weekly"] {
        let saved = user
            .post_form(
                "/portal/reports/schedule",
                &[("frequency", frequency), ("email", "reports@report-a.test")],
            )
            .await;
        assert_eq!(saved.status().as_u16(), 303);
    }
    let later = chrono::NaiveDate::from_ymd_opt(2026, 4, 14).unwrap();
    let queued = app.with_conn(|conn| {
        outreach::reports::scheduled::enqueue_due(conn, later, at("2026-04-14 06:00")).unwrap()
    });
    assert_eq!(queued, 1, "only the last complete week");
}

/// The e-mailed report carries the month's calls by their recorded outcome, as the portal does.
async fn the_emailed_report_counts_calls_by_outcome(backend: crate::helpers::Backend) {
    let (app, sink) = crate::helpers::plans::spawn_with_mail(backend).await;
    let (a, _) = fixture(&app);
    let user = app.login_as("client", Some(a)).await;
    let schedule = [("frequency", "monthly"), ("email", "reports@report-a.test")];
    let saved = user.post_form("/portal/reports/schedule", &schedule).await;
    assert_eq!(saved.status().as_u16(), 303);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    app.with_conn(|conn| {
        outreach::reports::scheduled::enqueue_due(conn, today, at("2026-03-03 06:00")).unwrap()
    });
    assert_eq!(crate::helpers::plans::drain(&app).await, 1);
    let received = sink.received();
    let parts = outreach::mail::catcher::decoded_parts(&received[0].data);
    let text = &parts
        .iter()
        .find(|(kind, _)| kind.starts_with("text/plain"))
        .unwrap()
        .1;
    assert!(text.contains("Calls by recorded outcome:"), "{text}");
    assert!(
        text.contains("  spoke to customer: 2"),
        "February's two calls: {text}"
    );
}

backend_test!(
    the_emailed_report_counts_calls_by_outcome,
    given_the_backend
);
