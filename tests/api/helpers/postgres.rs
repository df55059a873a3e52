//! Fresh PostgreSQL databases for tests: the migrations run once into a template database, and
//! each test clones it (`CREATE DATABASE … TEMPLATE …`, about 20 ms).

use std::sync::{Mutex, OnceLock};

use diesel::{connection::SimpleConnection, Connection, PgConnection};

const URL_VAR: &str = "OUTREACH_TEST_POSTGRES_URL";

pub fn available() -> bool {
    let set = std::env::var(URL_VAR).is_ok_and(|v| !v.is_empty());
    if !set {
        if std::env::var("OUTREACH_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("{URL_VAR} must be set: PostgreSQL tests are required here");
        }
        eprintln!("skipped: {URL_VAR} is not set, so this PostgreSQL test did not run");
    }
    set
}

fn admin_url() -> String {
    std::env::var(URL_VAR).expect("OUTREACH_TEST_POSTGRES_URL")
}

/// `postgres://u:p@h:5432/anything` → same server, database `name`.
pub fn url_for(name: &str) -> String {
    let base = admin_url();
    let cut = base.rfind('/').expect("a database URL has a path");
    let query = base[cut..]
        .find('?')
        .map(|q| &base[cut + q..])
        .unwrap_or("");
    format!("{}/{name}{query}", &base[..cut])
}

struct Admin {
    conn: PgConnection,
    template: String,
}

static ADMIN: OnceLock<Mutex<Admin>> = OnceLock::new();

fn admin() -> &'static Mutex<Admin> {
    ADMIN.get_or_init(|| {
        let mut conn = PgConnection::establish(&admin_url())
            .expect("connecting to the test PostgreSQL server");
        let template = format!("outreach_tpl_{}_{}", std::process::id(), rand_suffix());
        conn.batch_execute(&format!("CREATE DATABASE {template}"))
            .expect("creating the template database");
        {
            let mut tpl = outreach::db::pool::establish(&url_for(&template))
                .expect("connecting to the template");
            outreach::db::migrate::run_pending(&mut tpl).expect("migrating the template");
        } // dropped: nobody may be connected to a template while it is cloned
        Mutex::new(Admin { conn, template })
    })
}

fn rand_suffix() -> String {
    outreach::auth::tokens::random_hex(4)
}

/// A new, migrated database; returns its URL.
pub fn fresh_database() -> String {
    let mut admin = admin().lock().unwrap_or_else(|p| p.into_inner());
    let name = format!("outreach_test_{}", rand_suffix());
    let sql = format!("CREATE DATABASE {name} TEMPLATE {}", admin.template);
    admin
        .conn
        .batch_execute(&sql)
        .expect("cloning the template database");
    url_for(&name)
}
