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

/// The server's URL, without TLS unless it asks for a mode itself. When the test process exits,
/// OpenSSL's exit-time cleanup can run while a connection pool's thread is still connecting over
/// TLS, and the process then dies in libcrypto after every test has passed (seen once in CI:
/// SIGSEGV in libcrypto.so.3, in the main thread at exit). TLS on the loopback is not what these
/// tests check.
fn admin_url() -> String {
    let url = std::env::var(URL_VAR).expect("OUTREACH_TEST_POSTGRES_URL");
    if url.contains("sslmode=") {
        url
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
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
        // One run at a time finds or builds the template; the others wait here for it.
        conn.batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .expect("taking the template lock");
        let fingerprint = migrations_fingerprint();
        drop_stale_databases(&mut conn, &fingerprint);
        let template = existing_template(&mut conn, &fingerprint)
            .unwrap_or_else(|| build_template(&mut conn, &fingerprint));
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
            .expect("releasing the template lock");
        Mutex::new(Admin { conn, template })
    })
}

fn locked_admin() -> std::sync::MutexGuard<'static, Admin> {
    admin().lock().unwrap_or_else(|p| p.into_inner())
}

/// An arbitrary key for the advisory lock around finding or building the template.
const TEMPLATE_LOCK: i64 = 0x6f75_7472_6561_6368;

/// The migrations a template is built from, as 16 hex digits: runs reuse the template while the
/// migrations are unchanged, instead of building (and leaving behind) one each.
fn migrations_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("the PostgreSQL migrations")
        .flatten()
        .flat_map(|entry| {
            std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|file| file.path())
        .collect();
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.strip_prefix(&dir).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(diesel::QueryableByName)]
struct Database {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

fn existing_template(conn: &mut PgConnection, fingerprint: &str) -> Option<String> {
    diesel::sql_query(format!(
        "SELECT datname FROM pg_database WHERE datname LIKE 'outreach\\_tpl\\_%\\_{fingerprint}'"
    ))
    .load::<Database>(conn)
    .ok()?
    .into_iter()
    .next()
    .map(|d| d.datname)
}

/// `outreach_tpl_{unix seconds}_{fingerprint}`, migrated.
fn build_template(conn: &mut PgConnection, fingerprint: &str) -> String {
    let template = format!("outreach_tpl_{}_{fingerprint}", now_secs());
    conn.batch_execute(&format!("CREATE DATABASE {template}"))
        .expect("creating the template database");
    // The connection closes at the end: nobody may be connected to a template while it is cloned.
    let migrated = outreach::db::pool::establish(&url_for(&template))
        .map_err(|e| e.to_string())
        .and_then(|mut tpl| {
            outreach::db::migrate::run_pending(&mut tpl).map_err(|e| e.to_string())
        });
    if let Err(e) = migrated {
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {template}"));
        panic!("migrating the template: {e}");
    }
    template
}

/// A test database ten minutes old with nobody connected has finished (its run ended before it
/// could be dropped, or was interrupted). A template for other migrations is kept two hours, for
/// a run of another checkout that may still be cloning it.
const STALE_TEST_SECS: u64 = 600;
const STALE_TEMPLATE_SECS: u64 = 2 * 3600;

/// Our databases that nobody is connected to. Only those are dropped, and never `WITH (FORCE)`:
/// cutting a finished test's server off from its pool left its threads reconnecting while the
/// process exited, which crashed it (a double free in the exit handlers).
fn idle_databases(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT datname FROM pg_database d \
         WHERE (datname LIKE 'outreach\\_test\\_%' OR datname LIKE 'outreach\\_tpl\\_%') \
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
    )
    .load::<Database>(conn)
    .map(|rows| rows.into_iter().map(|d| d.datname).collect())
    .unwrap_or_default()
}

fn drop_database(conn: &mut PgConnection, name: &str) -> bool {
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\""))
        .is_ok()
}

/// Drops what earlier runs left: finished test databases, and templates of other migrations.
fn drop_stale_databases(conn: &mut PgConnection, fingerprint: &str) {
    let now = now_secs();
    for name in idle_databases(conn) {
        let mut parts = name.split('_').skip(1);
        let kind = parts.next();
        // Names from before the time was in them carry a process id there: leave those alone.
        let Some(created) = parts
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|secs| *secs > 1_600_000_000)
        else {
            continue;
        };
        let age = now.saturating_sub(created);
        let stale = match kind {
            Some("tpl") => !name.ends_with(fingerprint) && age > STALE_TEMPLATE_SECS,
            _ => age > STALE_TEST_SECS,
        };
        if stale {
            drop_database(conn, &name);
        }
    }
}

/// Test databases whose tests have finished, dropped once their servers have let go of them.
static FINISHED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn drop_finished(conn: &mut PgConnection) {
    let mut finished = FINISHED.lock().unwrap_or_else(|p| p.into_inner());
    if finished.is_empty() {
        return;
    }
    let idle = idle_databases(conn);
    finished.retain(|name| !(idle.contains(name) && drop_database(conn, name)));
}

/// A migrated database of its own for one test. When the test ends it is dropped as soon as the
/// test's server has closed its connections (checked whenever another test starts; the last
/// few of a run go at the start of a later one).
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
        FINISHED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(self.name.clone());
    }
}

/// A new, migrated database.
pub fn fresh_database() -> TestDatabase {
    let mut admin = locked_admin();
    drop_finished(&mut admin.conn);
    let name = format!(
        "outreach_test_{}_{}",
        now_secs(),
        outreach::auth::tokens::random_hex(4)
    );
    let sql = format!("CREATE DATABASE {name} TEMPLATE {}", admin.template);
    admin
        .conn
        .batch_execute(&sql)
        .expect("cloning the template database");
    TestDatabase { name }
}
