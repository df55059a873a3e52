//! The report pages' filter: a mistake in it is shown on the report page, beside the figures
//! for the default range, with what was typed kept, never an error page in place of the report.

use crate::backend_test;
use crate::helpers::TestApp;
use crate::referrals::tuesday_morning;

backend_test!(a_mistyped_report_filter_keeps_the_page_and_what_was_typed);
async fn a_mistyped_report_filter_keeps_the_page_and_what_was_typed(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let client = app.create_client("Filter Water");
    let user = app.login_as("client", Some(client)).await;
    let (status, page) = user
        .get_text("/portal/reports?from=2026-03-31&to=2026-03-01&group_by=week")
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Re-engagement: Filter Water"), "{page}");
    assert!(
        page.contains("id=\"to-error\"") || page.contains("id=\"from-error\""),
        "{page}"
    );
    assert!(page.contains("id=\"default-range\""), "{page}");
    assert!(page.contains("value=\"2026-03-31\"") && page.contains("value=\"2026-03-01\""));
    assert!(page.contains("<option value=\"week\" selected>"), "{page}");
    assert!(
        page.contains("id=\"m-referred\""),
        "the default range's figures"
    );
    // Signed in still: the page keeps the client's navigation, not a signed-out error page.
    assert!(page.contains("/logout"), "{page}");

    let supervisor = app.login_as("supervisor", None).await;
    let (status, page) = supervisor
        .get_text("/supervisor/reports?client_id=abc&from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"client_id-error\""), "{page}");
    assert!(page.contains("choose a client from the list"));
    assert!(
        !page.contains("id=\"default-range\""),
        "the dates were fine"
    );
    assert!(page.contains("By handler"), "{page}");
}
