//! Fresh PostgreSQL databases for tests: the migrations run once into a template database, and
//! each test clones it (`CREATE DATABASE … TEMPLATE …`, about 20 ms).

use std::sync::{Mutex, OnceLock};

use diesel::{connection::SimpleConnection, Connection, PgConnection, RunQueryDsl};

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
        drop_stale_databases(&mut conn);
        let template = new_name("tpl");
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

fn locked_admin() -> std::sync::MutexGuard<'static, Admin> {
    admin().lock().unwrap_or_else(|p| p.into_inner())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `outreach_{kind}_{unix seconds}_{random}`: the time in the name lets a later run tell what a
/// killed run left behind, even on a server other machines share.
fn new_name(kind: &str) -> String {
    format!(
        "outreach_{kind}_{}_{}",
        now_secs(),
        outreach::auth::tokens::random_hex(4)
    )
}

/// No test runs for hours: older test databases and templates were left by interrupted runs
/// (and, for templates, by every run: nothing runs after the last test to remove them).
const STALE_AFTER_SECS: u64 = 6 * 3600;

fn drop_stale_databases(conn: &mut PgConnection) {
    #[derive(diesel::QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let Ok(databases) = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'outreach\\_test\\_%' \
         OR datname LIKE 'outreach\\_tpl\\_%'",
    )
    .load::<Database>(conn) else {
        return;
    };
    let cutoff = now_secs().saturating_sub(STALE_AFTER_SECS);
    for Database { datname } in databases {
        let created = datname
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|secs| secs < cutoff) {
            // Best effort: a database still in use stays for the next run to try again.
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)"
            ));
        }
    }
}

/// A migrated database of its own for one test; dropped with this value.
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    pub fn url(&self) -> String {
        url_for(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE: the test's server may still hold pooled connections.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = locked_admin().conn.batch_execute(&sql) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A new, migrated database.
pub fn fresh_database() -> TestDatabase {
    let mut admin = locked_admin();
    let name = new_name("test");
    let sql = format!("CREATE DATABASE {name} TEMPLATE {}", admin.template);
    admin
        .conn
        .batch_execute(&sql)
        .expect("cloning the template database");
    TestDatabase { name }
}
