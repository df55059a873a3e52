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

const FIRST: [&str; 12] = [
    "Amira", "Ben", "Carys", "Declan", "Ewa", "Fraser", "Grace", "Harpreet", "Iwan", "Joy", "Kofi",
    "Leah",
];
const LAST: [&str; 6] = [
    "Hughes",
    "O'Neill",
    "Macdonald",
    "Kowalska",
    "Patel",
    "Evans",
];
const REGIONS: [&str; 4] = ["england", "wales", "scotland", "northern_ireland"];
const CIRCUMSTANCES: [&str; 5] = [
    "Reduced hours at work",
    "Recently bereaved",
    "Long-term illness in the family",
    "New baby; on statutory pay",
    "",
];

/// Three dozen referred customers spread over the UK nations, amounts and arrears.
fn seed_customers(conn: &mut crate::db::DbConn, client_id: i64) -> anyhow::Result<()> {
    let referrals = (0..36)
        .map(|i| {
            crate::intake::referral::ReferralRequest {
                reference: format!("NW-{:05}", 1000 + i),
                name: format!("{} {}", FIRST[i % FIRST.len()], LAST[(i * 5) % LAST.len()]),
                email: Some(format!("customer{i}@example.org")),
                phone: Some(format!("07700 900{:03}", i)),
                region: REGIONS[i % REGIONS.len()].into(),
                amount_owed_minor: Some(serde_json::json!(4_500 + (i as i64 * 7_919) % 180_000)),
                currency: "GBP".into(),
                days_in_arrears: Some(serde_json::json!(14 + (i * 37) % 400)),
                circumstances: Some(CIRCUMSTANCES[i % CIRCUMSTANCES.len()].into()),
                ..Default::default()
            }
            .parse()
            .map_err(|e| anyhow::anyhow!("demo referral {i}: {e:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut intake = crate::intake::Intake::for_client(conn, client_id)?;
    intake.refer_batch(conn, Actor::System, referrals, chrono::Utc::now())?;
    Ok(())
}

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
        seed_customers(conn, client_id)?;
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
    crate::config::write_private(&path, &text)?;
    println!("  (kept in {})\n", path.display());
    Ok(())
}
