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
