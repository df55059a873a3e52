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
