//! Public holidays for customers whose UK nation the client did not say.

use crate::backend_test;
use crate::helpers::TestApp;
use crate::queue::{next_call, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(a_customer_known_only_to_be_in_the_uk_keeps_every_nations_extra_days);
/// A customer referred as `GB` may live in any nation, so no nation's holiday is a day to call
/// them: the extra days an admin adds for one nation count for them, as the computed ones do.
async fn a_customer_known_only_to_be_in_the_uk_keeps_every_nations_extra_days(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Nations Co"));
    let mut somewhere_in_the_uk = referral("GB-1");
    somewhere_in_the_uk["region"] = "GB".into();
    somewhere_in_the_uk["timezone"] = "Europe/London".into();
    // Further in arrears, so first in the queue when both may be called.
    somewhere_in_the_uk["days_in_arrears"] = 400.into();
    refer(&app, &key, somewhere_in_the_uk).await;
    refer(&app, &key, referral("EN-1")).await;
    let admin = app.login_as("admin", None).await;
    let added = admin
        .post_form(
            "/admin/holidays",
            &[
                ("region", "scotland"),
                ("holiday_date", "2026-03-10"),
                ("name", "Storm day in Scotland"),
            ],
        )
        .await;
    assert_eq!(added.status().as_u16(), 303);
    let (_, token) = app.staff_token("handler");
    let (status, call) = next_call(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(call["case"]["reference"], "EN-1", "England works today");
    let (_, other) = app.staff_token("handler");
    assert_eq!(
        next_call(&app, &other).await.0,
        204,
        "GB-1 may be in Scotland"
    );
}
