//! The client portal's own pages.

use crate::backend_test;
use crate::helpers::TestApp;

backend_test!(recent_referrals_are_listed_latest_first_whatever_their_ids);
// Case ids are handed out in blocks per database connection (migration 30), so a later referral
// may have the lower id: the list goes by when each case was referred.
async fn recent_referrals_are_listed_latest_first_whatever_their_ids(app: TestApp) {
    let client_id = app.create_client("Portal Co");
    app.with_conn(|conn| {
        use diesel::RunQueryDsl;
        for (id, reference, referred_at) in [
            (10, "LATER", "2026-03-10 11:00:00"),
            (20, "EARLIER", "2026-03-10 09:00:00"),
        ] {
            diesel::sql_query(format!(
                "INSERT INTO cases (id, client_id, reference, customer_name, region, timezone, \
                 amount_owed_minor, currency, days_in_arrears, arrears_since, status, \
                 priority_band, referred_at, updated_at) VALUES ({id}, {client_id}, \
                 '{reference}', 'Customer {reference}', 'england', 'Europe/London', 1000, 'GBP', \
                 10, '2026-02-28', 'scheduled', 3, '{referred_at}', '{referred_at}')"
            ))
            .execute(conn)
            .unwrap();
        }
    });
    let session = app.login_as("client", Some(client_id)).await;
    let (_, page) = session.get_text("/portal").await;
    let (later, earlier) = (page.find("LATER"), page.find("EARLIER"));
    assert!(later.is_some() && earlier.is_some(), "{page}");
    assert!(later < earlier, "the later referral comes first: {page}");
}
