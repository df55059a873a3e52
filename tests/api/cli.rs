//! The `outreach` command line as operators run it.

use crate::backend_test;
use crate::helpers::TestApp;

backend_test!(operator_commands_exit_cleanly_every_time);
async fn operator_commands_exit_cleanly_every_time(app: TestApp) {
    // A connection still opening in the background when the process exited crashed it in about
    // one run in three: twenty runs in a row would all but certainly show it.
    for i in 0..20 {
        let output = app.outreach(&["create-client", &format!("Operator Client {i}")]);
        assert!(output.status.success(), "run {i}: {output:?}");
        let id = String::from_utf8(output.stdout).unwrap();
        assert!(
            id.trim().parse::<i64>().is_ok(),
            "prints the new client's id: {id:?}"
        );
    }
}

/// In production the service will not serve without what customers' e-mails need (a mail server,
/// and a public https:// address for their links: the default is the bind address, which no
/// customer can open); a migration or an operator's command, which sends no mail, runs without.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_serves_only_with_mail_and_a_public_address() {
    use base64::Engine;
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
    let run = |args: &[&str], extra: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_outreach"));
        command
            .args(args)
            .env("OUTREACH_DATABASE_URL", &app.state.config.database_url)
            .env("OUTREACH_ENV", "production")
            .env("OUTREACH_SESSION_KEY", &key)
            .env("OUTREACH_BIND", "127.0.0.1:0")
            .env("OUTREACH_LOG", "error")
            .env_remove("OUTREACH_SMTP_HOST")
            .env_remove("OUTREACH_BASE_URL");
        for (name, value) in extra {
            command.env(name, value);
        }
        command.output().expect("the outreach command runs")
    };
    let migrated = run(&["migrate"], &[]);
    assert!(migrated.status.success(), "{migrated:?}");
    let no_mail = run(&["serve"], &[]);
    assert!(!no_mail.status.success());
    assert!(String::from_utf8_lossy(&no_mail.stderr).contains("OUTREACH_SMTP_HOST is required"));
    let no_address = run(&["serve"], &[("OUTREACH_SMTP_HOST", "127.0.0.1")]);
    assert!(!no_address.status.success());
    assert!(
        String::from_utf8_lossy(&no_address.stderr).contains("OUTREACH_BASE_URL must be set"),
        "{no_address:?}"
    );
}

/// Mistakes an operator makes at the command line are named: the setting or the thing missing,
/// never a password, and never by quietly doing something else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_mistakes_are_named_not_worked_around() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let run = |args: &[&str], extra: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_outreach"));
        command
            .args(args)
            .env("OUTREACH_DATABASE_URL", &app.state.config.database_url)
            .env("OUTREACH_DATA_DIR", &app.state.config.data_dir)
            .env("OUTREACH_LOG", "error")
            .env_remove("OUTREACH_ENV")
            .env_remove("OUTREACH_BIND");
        for (name, value) in extra {
            command.env(name, value);
        }
        String::from_utf8_lossy(&refused_within_a_minute(command).stderr).into_owned()
    };
    let public = run(&["serve"], &[("OUTREACH_BIND", "0.0.0.0:0")]);
    assert!(public.contains("OUTREACH_ENV is not set"), "{public}");
    let libpq = run(
        &["migrate"],
        &[("OUTREACH_DATABASE_URL", "host=db user=app password=s3cret")],
    );
    assert!(
        libpq.contains("OUTREACH_DATABASE_URL must be written as a URL")
            && !libpq.contains("s3cret"),
        "{libpq}"
    );
    assert!(
        !app.state
            .config
            .data_dir
            .join("host=db user=app password=s3cret")
            .exists(),
        "no SQLite file named after the setting"
    );
    let csv = app.state.config.data_dir.join("none.csv");
    std::fs::write(
        &csv,
        "reference,name,region,amount_owed_minor,currency,days_in_arrears\n",
    )
    .unwrap();
    let no_client = run(
        &["import", "--client", "424242", csv.to_str().unwrap()],
        &[],
    );
    assert!(
        no_client.contains("there is no client 424242"),
        "{no_client}"
    );
    let no_user = run(
        &[
            "create-token",
            "--user",
            "nobody@example.org",
            "--label",
            "x",
        ],
        &[],
    );
    assert!(
        no_user.contains("there is no user with the e-mail nobody@example.org"),
        "{no_user}"
    );
}

/// The output of `command`, which must fail: one that is still running after a minute (a service
/// that started serving instead) is stopped, and the test fails rather than wait for ever.
fn refused_within_a_minute(mut command: std::process::Command) -> std::process::Output {
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the outreach command runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{command:?} was still running after a minute instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success(), "{output:?}");
    output
}
