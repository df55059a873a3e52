//! The script handlers are given when the newest saved version cannot be used.

use crate::backend_test;
use crate::helpers::TestApp;
use crate::queue::{next_call, refer};
use crate::referrals::{referral, tuesday_morning};

backend_test!(a_script_saved_under_looser_checks_gives_way_to_the_one_before);
/// A script saved by an earlier release, whose checks let a macro through, is refused by this
/// one: handlers are given the version before it, still opening with the no-payment statement,
/// instead of every call screen failing.
async fn a_script_saved_under_looser_checks_gives_way_to_the_one_before(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let key = app.client_api_key(app.create_client("Script Co"));
    refer(&app, &key, referral("SV-1")).await;
    let first = app.with_conn(|conn| outreach::calls::script_store::current(conn).unwrap().0);
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::script_versions;
        diesel::insert_into(script_versions::table)
            .values((
                script_versions::body.eq("{% block no_payment %}I'm not calling to take a payment.{% endblock no_payment %}{% macro f() %}{{ self::f() }}{% endmacro f %}{{ self::f() }}"),
                script_versions::created_at.eq(tuesday_morning().naive_utc()),
            ))
            .execute(conn)
            .unwrap();
    });
    app.state.reference.forget_script();
    let (_, token) = app.staff_token("handler");
    let (status, call) = next_call(&app, &token).await;
    assert_eq!(status, 200, "{call}");
    assert_eq!(call["script"]["version_id"], first);
    assert!(call["script"]["no_payment_statement"]
        .as_str()
        .unwrap()
        .contains("not calling to take a payment"));
}
