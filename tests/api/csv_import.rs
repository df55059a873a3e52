//! CSV referrals: the portal's upload and `outreach import`, read as spreadsheets write them.

use outreach::intake::csv_import::ImportReport;

use crate::backend_test;
use crate::helpers::TestApp;
use crate::referrals::tuesday_morning;

/// A file as spreadsheets write it: BOM, CRLF, quoted fields with commas, UTF-8 names, and
/// three bad rows (a card number, a bad e-mail, a missing amount).
pub const FILE: &str =
    "\u{feff}reference,name,email,region,amount_owed_minor,currency,days_in_arrears,notes\r\n\
R-1,\"Zoë Ångström\",zoe@example.org,england,125000,GBP,45,\"Lost job, partner ill\"\r\n\
R-2,Siân Jones,,wales,9900,GBP,10,\r\n\
R-3,Bad Card,,scotland,100,GBP,5,\"card 4111 1111 1111 1111\"\r\n\
R-4,Bad Mail,nope,england,100,GBP,5,\r\n\
R-5,No Amount,,england,,GBP,5,\r\n\
R-6,\"Ó Briain, Pádraig\",,northern_ireland,4500,GBP,120,\r\n";

async fn upload(session: &crate::helpers::Session, csv: &str) -> (u16, String) {
    upload_with(session, csv, None).await
}

/// Uploads `csv`, after a `padding` field of that many bytes when given.
async fn upload_with(
    session: &crate::helpers::Session,
    csv: &str,
    padding: Option<usize>,
) -> (u16, String) {
    let token = session.csrf_token().await;
    let mut form = reqwest::multipart::Form::new().text("csrf_token", token);
    if let Some(bytes) = padding {
        form = form.part(
            "padding",
            reqwest::multipart::Part::bytes(vec![b'x'; bytes]),
        );
    }
    let form = form.part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("referrals.csv"),
    );
    let response = session
        .client
        .post(format!("{}/portal/referrals/upload", session.base()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Imports `file` for the client on one connection, as the portal does, on Tuesday morning.
pub fn import_file(app: &TestApp, client_id: i64, file: &str) -> ImportReport {
    app.with_conn(|conn| {
        outreach::intake::csv_import::import(
            &mut [conn],
            client_id,
            outreach::audit::Actor::System,
            file.as_bytes(),
            tuesday_morning(),
            |_| {},
        )
        .expect("the import finished")
    })
}

pub fn case_count(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        use diesel::prelude::*;
        outreach::db::schema::cases::table
            .count()
            .get_result(conn)
            .unwrap()
    })
}

backend_test!(a_client_uploads_a_csv_keeps_good_rows_and_sees_each_bad_line);
async fn a_client_uploads_a_csv_keeps_good_rows_and_sees_each_bad_line(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let client_id = app.create_client("Upload Co");
    let session = app.login_as("client", Some(client_id)).await;
    let (status, html) = upload(&session, FILE).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("6 rows read: <strong>3</strong> new referrals"),
        "{html}"
    );
    assert!(
        html.contains("<td>4</td><td>notes This looks like a card number"),
        "{html}"
    );
    assert!(
        html.contains("<td>5</td><td>email is not a valid e-mail address"),
        "{html}"
    );
    assert!(
        html.contains("<td>6</td><td>amount_owed_minor is required"),
        "{html}"
    );
    assert!(
        !crate::helpers::shows_test_card(&html),
        "the card number is not echoed back"
    );
    assert_eq!(case_count(&app), 3);
    let names: Vec<String> = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::cases::dsl::*;
        cases
            .order(reference.asc())
            .select(customer_name)
            .load(conn)
            .unwrap()
    });
    assert_eq!(names, ["Zoë Ångström", "Siân Jones", "Ó Briain, Pádraig"]);

    let (_, again) = upload(&session, FILE).await;
    assert!(
        again.contains("<strong>0</strong> new referrals, 3 already referred"),
        "{again}"
    );
    assert_eq!(case_count(&app), 3, "a re-run creates nothing new");
    let (_, portal) = session.get_text("/portal").await;
    assert!(portal.contains("Zoë Ångström"));
    let listed: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("cases_listed"))
            .filter(audit_log::client_id.eq(client_id))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert!(listed >= 1, "showing customers' names is audited");
}

backend_test!(an_uploaded_file_is_called_longest_in_arrears_first);
// The import stores a file in queue order, not line by line (see `intake::store`): handlers must
// still be served the longest in arrears first, whatever the file's order.
async fn an_uploaded_file_is_called_longest_in_arrears_first(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let client_id = app.create_client("Order File Co");
    let session = app.login_as("client", Some(client_id)).await;
    let file = "reference,name,region,amount_owed_minor,currency,days_in_arrears\n\
        SHORT-1,Ann,england,100,GBP,10\n\
        LONG-1,Bea,england,100,GBP,300\n\
        SHORT-2,Cal,england,100,GBP,10\n\
        LONG-2,Dee,england,100,GBP,300\n\
        MID,Eve,england,100,GBP,90\n\
        LONG-3,Fay,england,100,GBP,300\n";
    let (status, html) = upload(&session, file).await;
    assert_eq!(status, 200, "{html}");
    let mut order = Vec::new();
    for _ in 0..6 {
        let (_, token) = app.staff_token("handler");
        let (_, call) = crate::queue::next_call(&app, &token).await;
        order.push(call["case"]["reference"].as_str().unwrap().to_string());
    }
    // Cases equal in priority (same arrears, referred together) come in no promised order.
    order[..3].sort();
    order[4..].sort();
    assert_eq!(
        order,
        ["LONG-1", "LONG-2", "LONG-3", "MID", "SHORT-1", "SHORT-2"]
    );
}

backend_test!(uploads_need_a_csrf_token_and_a_client_user);
async fn uploads_need_a_csrf_token_and_a_client_user(app: TestApp) {
    let client_id = app.create_client("Guarded Upload");
    let session = app.login_as("client", Some(client_id)).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(FILE.as_bytes().to_vec()).file_name("x.csv"),
    );
    let response = session
        .client
        .post(format!("{}/portal/referrals/upload", session.base()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(case_count(&app), 0);
    let handler = app.login_as("handler", None).await;
    assert_eq!(handler.get("/portal").await.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_import_reports_lines_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("referrals.csv");
    std::fs::write(&file, FILE).unwrap();
    let env = [
        ("OUTREACH_DATA_DIR", dir.path().to_str().unwrap()),
        ("OUTREACH_DEMO", "false"),
    ];
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_outreach"))
            .args(args)
            .envs(env)
            .env_remove("OUTREACH_DATABASE_URL")
            .output()
            .unwrap()
    };
    let created = run(&["create-client", "CLI Co"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let client_id = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    let first = run(&["import", "--client", &client_id, file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(3), "some rows refused: {out}");
    assert!(
        out.contains("6 rows read: 3 new cases, 0 already referred, 3 refused."),
        "{out}"
    );
    assert!(
        out.contains("line 4: notes This looks like a card number"),
        "{out}"
    );
    let second = run(&["import", "--client", &client_id, file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 new cases, 3 already referred"));
}

backend_test!(the_upload_limit_counts_the_whole_form_not_each_field);
async fn the_upload_limit_counts_the_whole_form_not_each_field(app: TestApp) {
    app.state.clock.pin(tuesday_morning());
    let client_id = app.create_client("Padded Co");
    let session = app.login_as("client", Some(client_id)).await;
    // 50 MB of padding plus a small file: over the limit as a whole, though each field is under.
    let (status, html) = upload_with(&session, FILE, Some(50 * 1024 * 1024)).await;
    assert_eq!(status, 422);
    assert!(html.contains("larger than 50 MB"), "{html}");
    assert_eq!(case_count(&app), 0, "nothing imported");
    let (status, _) = upload_with(&session, FILE, Some(1024)).await;
    assert_eq!(status, 200, "a small extra field is read past");
    assert_eq!(case_count(&app), 3);
}

/// The database fails part way through a portal upload: the client is told the import stopped,
/// that what was stored is kept and that uploading the same file again finishes it, not shown
/// a bare "something went wrong".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_database_stops_says_what_to_do() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    app.state.clock.pin(tuesday_morning());
    let client = app.create_client("Interrupted Water");
    let session = app.login_as("client", Some(client)).await;
    // Where cases are stored is gone (a database failing underneath the service).
    app.with_conn(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("ALTER TABLE cases RENAME TO cases_elsewhere")
            .unwrap();
    });
    let (status, page) = upload(&session, FILE).await;
    assert_eq!(status, 503, "{page}");
    assert!(
        page.contains("Upload the same file again to finish"),
        "{page}"
    );
    assert!(!page.contains("cases_elsewhere") && !page.contains("no such table"));
}
