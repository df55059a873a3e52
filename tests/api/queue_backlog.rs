//! The queue on a busy morning: more cases due at once than one promotion moves.

use diesel::prelude::*;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::queue::next_call;
use crate::referrals::tuesday_morning;

backend_test!(a_morning_backlog_still_serves_callbacks_and_vulnerable_customers_first);
/// 600 customers referred overnight are all due at 08:00. The one a handler promised to call
/// back, and then a vulnerable one, come first, though they were referred last.
async fn a_morning_backlog_still_serves_callbacks_and_vulnerable_customers_first(app: TestApp) {
    use outreach::db::schema::cases;
    let client_id = app.create_client("Backlog Co");
    let file: String =
        std::iter::once("reference,name,region,amount_owed_minor,currency,days_in_arrears\n")
            .map(str::to_string)
            .chain(
                (0..600).map(|i| format!("BL-{i:03},Customer {i},england,1000,GBP,{}\n", 600 - i)),
            )
            .collect();
    let night = tuesday_morning() - chrono::Duration::hours(12);
    let report = app.with_conn(|conn| {
        outreach::intake::csv_import::import(
            &mut [conn],
            client_id,
            outreach::audit::Actor::System,
            file.as_bytes(),
            night,
            |_| {},
        )
        .unwrap()
    });
    assert_eq!(report.created, 600);
    app.with_conn(|conn| {
        for (reference, band) in [
            ("BL-598", outreach::cases::priority::VULNERABLE),
            ("BL-599", outreach::cases::priority::CALLBACK),
        ] {
            diesel::update(cases::table.filter(cases::reference.eq(reference)))
                .set(cases::priority_band.eq(band))
                .execute(conn)
                .unwrap();
        }
        let waiting: i64 = cases::table
            .filter(cases::status.eq("scheduled"))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(waiting, 600, "all wait for the morning");
    });
    app.state.clock.pin(tuesday_morning());
    let mut served = Vec::new();
    for _ in 0..3 {
        let (_, token) = app.staff_token("handler");
        let (status, call) = next_call(&app, &token).await;
        assert_eq!(status, 200, "{call}");
        served.push(call["case"]["reference"].as_str().unwrap().to_string());
    }
    assert_eq!(served, ["BL-599", "BL-598", "BL-000"]);
}
