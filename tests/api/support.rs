use crate::backend_test;
use crate::helpers::{postgres, session::location, spawn_app, Backend, TestApp};

backend_test!(supervisors_maintain_the_directory_and_handlers_cannot);
async fn supervisors_maintain_the_directory_and_handlers_cannot(app: TestApp) {
    let supervisor = app.login_as("supervisor", None).await;
    let (status, page) = supervisor.get_text("/support").await;
    assert_eq!(status, 200);
    for seeded in [
        "MoneyHelper",
        "StepChange Debt Charity",
        "Samaritans",
        "Shelter Scotland",
        "GamCare",
    ] {
        assert!(page.contains(seeded), "{seeded} is seeded");
    }
    let bad = supervisor
        .post_form(
            "/support",
            &[
                ("name", "Nowhere"),
                ("website", "javascript:alert(1)"),
                ("last_checked_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    // The refused form comes back as typed, and the summary names it.
    let html = bad.text().await.unwrap();
    assert!(html.contains("There is a problem with Nowhere"), "{html}");
    assert!(html.contains(r#"id="new-name" name="name" value="Nowhere""#));
    assert!(html.contains(r#"name="website" value="javascript:alert(1)""#));
    assert!(html.contains(r#"type="date" value="2026-11-20""#));
    let added = supervisor
        .post_form(
            "/support",
            &[
                ("name", "Warm Homes Wales"),
                ("helps_with", "energy"),
                ("regions", "wales"),
                ("website", "warmhomes.example"),
                ("last_checked_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(location(&added), "/support");
    let (_, page) = supervisor.get_text("/support").await;
    assert!(page.contains("Warm Homes Wales") && page.contains("warmhomes.example"));
    // A second entry of the same name: the form again, the name marked, nothing lost.
    let twice = supervisor
        .post_form(
            "/support",
            &[
                ("name", "Warm Homes Wales"),
                ("helps_with", "energy"),
                ("regions", "wales"),
                ("website", "other.example"),
                ("last_checked_on", "2026-11-21"),
            ],
        )
        .await;
    assert_eq!(twice.status().as_u16(), 422);
    let html = twice.text().await.unwrap();
    assert!(html.contains("already has this name"), "{html}");
    assert!(html.contains(r#"name="website" value="other.example""#));
    // Services abroad, by country code.
    let abroad = |countries: &'static str| {
        [
            ("name", "MABS"),
            ("helps_with", "debt_advice"),
            ("countries", countries),
            ("website", "mabs.ie"),
            ("last_checked_on", "2026-11-21"),
        ]
    };
    let refused = supervisor
        .post_form("/support", &abroad("IE, Narnia"))
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("is not a country outside the UK"));
    let saved = supervisor.post_form("/support", &abroad("ie us")).await;
    assert_eq!(location(&saved), "/support");
    let (_, page) = supervisor.get_text("/support").await;
    assert!(
        page.contains(r#"name="countries" value="IE, US""#),
        "{page}"
    );
    let handler = app.login_as("handler", None).await;
    assert_eq!(handler.get("/support").await.status().as_u16(), 403);
}

backend_test!(customer_links_are_tracked_and_unknown_codes_do_not_redirect);
async fn customer_links_are_tracked_and_unknown_codes_do_not_redirect(app: TestApp) {
    let (_, _, _) = crate::helpers::plans::case_with_plan(&app).await;
    crate::helpers::plans::drain(&app).await;
    let (code, opens_before): (String, i32) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::{support_links, support_organisations};
        support_links::table
            .inner_join(support_organisations::table)
            .filter(support_organisations::name.eq("StepChange Debt Charity"))
            .filter(support_links::channel.eq("email"))
            .select((support_links::code, support_links::opens))
            .first(conn)
            .unwrap()
    });
    assert_eq!(opens_before, 0);
    let visitor = app.anonymous();
    let followed = visitor.get(&format!("/s/{code}")).await;
    assert_eq!(followed.status().as_u16(), 302);
    assert_eq!(location(&followed), "https://www.stepchange.org");
    let (opens, opened_at): (i32, Option<chrono::NaiveDateTime>) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::support_links as l;
        l::table
            .filter(l::code.eq(&code))
            .select((l::opens, l::first_opened_at))
            .first(conn)
            .unwrap()
    });
    assert_eq!(opens, 1);
    assert!(opened_at.is_some());
    let unknown = visitor.get("/s/not-a-code").await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert!(
        unknown.headers().get("location").is_none(),
        "never an open redirect"
    );
    // The website is taken off the entry later: a link already e-mailed still helps.
    app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::support_organisations as o;
        diesel::update(o::table.filter(o::name.eq("StepChange Debt Charity")))
            .set((o::website.eq(None::<String>), o::phone.eq("0800 138 1111")))
            .execute(conn)
            .unwrap()
    });
    let (status, page) = visitor.get_text(&format!("/s/{code}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("StepChange Debt Charity"), "{page}");
    assert!(page.contains("0800 138 1111"), "its number: {page}");
}

backend_test!(customers_are_offered_the_services_of_their_own_nation);
async fn customers_are_offered_the_services_of_their_own_nation(app: TestApp) {
    use outreach::support::{matching::matched, store};
    let directory = app.with_conn(|conn| store::directory(conn).unwrap());
    let offered = |region: &str, needs: &[&str]| -> Vec<String> {
        matched(&directory, needs, region, false)
            .into_iter()
            .map(|o| o.name.clone())
            .collect()
    };
    let needs = ["mental_health", "housing", "benefits_grants"];
    let expected: [(&str, &[&str]); 4] = [
        (
            "england",
            &["Citizens Advice", "Mind", "National Debtline", "Shelter"],
        ),
        (
            "wales",
            &[
                "Citizens Advice",
                "Mind",
                "National Debtline",
                "Shelter Cymru",
            ],
        ),
        (
            "scotland",
            &[
                "Citizens Advice Scotland",
                "SAMH (Scottish Association for Mental Health)",
                "National Debtline",
                "Shelter Scotland",
            ],
        ),
        (
            "northern_ireland",
            &["Advice NI", "Aware NI", "Housing Rights"],
        ),
    ];
    let every_named: Vec<&str> = expected
        .iter()
        .flat_map(|(_, names)| *names)
        .copied()
        .collect();
    for (region, names) in expected {
        let got = offered(region, &needs);
        for name in &every_named {
            assert_eq!(
                got.iter().any(|g| g == name),
                names.contains(name),
                "{name} for a customer in {region}: offered {got:?}"
            );
        }
        assert!(
            got.iter().any(|g| g == "StepChange Debt Charity"),
            "UK-wide debt advice in {region}"
        );
    }
}

backend_test!(a_mention_of_an_organisation_not_in_the_directory_is_ignored);
// The call page lists the directory; an id it does not hold (a form sent by hand) records
// nothing, and the rest of the form is kept, instead of failing the whole form.
async fn a_mention_of_an_organisation_not_in_the_directory_is_ignored(app: TestApp) {
    app.state.clock.pin(crate::referrals::tuesday_morning());
    let key = app.client_api_key(app.create_client("Mentions Co"));
    let case = crate::queue::refer(&app, &key, crate::referrals::referral("MEN-1")).await;
    let (handler, _) = app.new_handler_on_call(&case).await;
    let known: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::support_organisations::dsl::*;
        support_organisations.select(id).first(conn).unwrap()
    });
    let sent = handler
        .post_form(
            &format!("/calls/{}/support", case["id"]),
            &[("mentioned", &known.to_string()), ("mentioned", "999999")],
        )
        .await;
    assert_eq!(sent.status().as_u16(), 303);
    let recorded: Vec<i64> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::support_mentions::dsl::*;
        support_mentions.select(organisation_id).load(conn).unwrap()
    });
    assert_eq!(recorded, [known]);
}

/// Two e-mails composed at once for one case (two instances' mail workers) hand out the same
/// tracked link for an organisation, and the client's report counts it once. The first
/// composition is held open while the second runs: it waits on the first's entry in the unique
/// key, then reuses its code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_compositions_at_once_share_one_tracked_link() {
    use diesel::{connection::SimpleConnection, prelude::*};
    use outreach::db::schema::{support_links, support_organisations};
    use outreach::support::store::link_code;
    if !postgres::available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let key = app.client_api_key(app.create_client("Twin Mail Co"));
    let case = crate::queue::refer(&app, &key, crate::referrals::referral("TWIN-1")).await;
    let case_id = case["id"].as_i64().unwrap();
    let organisation: i64 = app.with_conn(|conn| {
        support_organisations::table
            .select(support_organisations::id)
            .first(conn)
            .unwrap()
    });
    let now = chrono::Utc::now().naive_utc();
    let mut first = app.conn();
    first.batch_execute("BEGIN").unwrap();
    let first_code = link_code(&mut first, case_id, organisation, "email", now).unwrap();
    let pool = app.state.pool.clone();
    let second = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        link_code(&mut conn, case_id, organisation, "email", now).unwrap()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    first.batch_execute("COMMIT").unwrap();
    assert_eq!(second.join().unwrap(), first_code);
    let links: i64 = app.with_conn(|conn| {
        support_links::table
            .filter(support_links::case_id.eq(case_id))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(links, 1);
}

backend_test!(the_last_free_debt_advice_for_a_nation_cannot_be_retired);
async fn the_last_free_debt_advice_for_a_nation_cannot_be_retired(app: TestApp) {
    let supervisor = app.login_as("supervisor", None).await;
    // Every open entry giving debt advice in Northern Ireland (its own, and UK-wide ones).
    let serving: Vec<(i64, String)> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::support_organisations as o;
        o::table
            .filter(o::retired.eq(false))
            .filter(o::helps_with.like("%debt_advice%"))
            .order(o::id)
            .select((o::id, o::regions))
            .load::<(i64, String)>(conn)
            .unwrap()
            .into_iter()
            .filter(|(_, regions)| {
                regions
                    .split(',')
                    .any(|r| r == "uk" || r == "northern_ireland")
            })
            .collect()
    });
    assert!(serving.len() > 1, "{serving:?}");
    let retire = |id: i64| {
        let path = format!("/support/{id}");
        let supervisor = &supervisor;
        async move { supervisor.post_form(&path, &[("action", "retire")]).await }
    };
    let (last, others) = serving.split_last().unwrap();
    for (id, _) in others {
        assert_eq!(location(&retire(*id).await), "/support");
    }
    let refused = retire(last.0).await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("northern ireland with no free debt advice"),
        "{page}"
    );
    let still_open: bool = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::support_organisations as o;
        o::table
            .find(last.0)
            .select(o::retired)
            .first::<bool>(conn)
            .map(|retired| !retired)
            .unwrap()
    });
    assert!(still_open);
}
