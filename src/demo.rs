//! Demo data for a first run in development: a client, one account per role and referred
//! customers, so a newcomer can log in and click through at once. Never runs in production.

use std::{fmt::Write, path::Path};

use anyhow::Context;
use diesel::prelude::*;

use crate::{
    accounts::{self, NewUser},
    audit::Actor,
    db::{schema::users, Pool},
};

struct DemoAccount {
    email: &'static str,
    name: &'static str,
    role: &'static str,
}

const ACCOUNTS: [DemoAccount; 5] = [
    DemoAccount {
        email: "admin@outreach.test",
        name: "Alex Admin",
        role: "admin",
    },
    DemoAccount {
        email: "supervisor@outreach.test",
        name: "Sam Supervisor",
        role: "supervisor",
    },
    DemoAccount {
        email: "handler1@outreach.test",
        name: "Harper Handler",
        role: "handler",
    },
    DemoAccount {
        email: "handler2@outreach.test",
        name: "Jordan Handler",
        role: "handler",
    },
    DemoAccount {
        email: "client@northshire-water.test",
        name: "Casey Client",
        role: "client",
    },
];

pub const DEMO_CLIENT: &str = "Northshire Water (demo)";

/// Seeds once, when the database has no users. Prints the logins and keeps them in
/// `demo-logins.txt` in the data directory.
pub fn seed_if_empty(pool: &Pool, base_url: &str, data_dir: &Path) -> anyhow::Result<()> {
    let mut conn = pool.get().context("connecting for demo data")?;
    let existing: i64 = users::table.count().get_result(&mut *conn)?;
    if existing > 0 {
        return Ok(());
    }
    let mut logins = String::new();
    conn.transaction(|conn| -> anyhow::Result<()> {
        let client_id = accounts::create_client(
            conn,
            Actor::System,
            DEMO_CLIENT,
            Some("customer.care@northshire-water.test"),
            Some("0800 000 0000"),
        )?;
        for account in ACCOUNTS {
            let client = (account.role == "client").then_some(client_id);
            let new = NewUser::parse(account.email, account.name, account.role, client)?;
            let (_, password) = accounts::create_user(conn, Actor::System, new)?;
            let _ = writeln!(
                logins,
                "  {:<11} {:<30} {}",
                account.role, account.email, password
            );
        }
        Ok(())
    })?;
    let text = format!("Demo logins for {base_url}/login\n{logins}");
    println!("\n{text}");
    let path = data_dir.join("demo-logins.txt");
    std::fs::create_dir_all(data_dir).ok();
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    println!("  (kept in {})\n", path.display());
    Ok(())
}
