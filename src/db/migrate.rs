//! Embedded migrations, one folder per backend. On PostgreSQL they run under an advisory lock so
//! several instances can start at once and only one migrates.

use anyhow::{anyhow, Context};
use diesel::{connection::SimpleConnection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary but fixed: the key every instance locks on.
const MIGRATION_LOCK_KEY: i64 = 0x6f75_7472_6561_6368; // "outreach"

/// Applies pending migrations and returns how many ran.
pub fn run_pending(conn: &mut DbConn) -> anyhow::Result<usize> {
    match conn {
        DbConn::Postgres(pg) => run_postgres(pg),
        DbConn::Sqlite(sqlite) => run_sqlite(sqlite),
    }
}

fn run_postgres(pg: &mut PgConnection) -> anyhow::Result<usize> {
    pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .context("taking the migration lock")?;
    let result = pg
        .run_pending_migrations(POSTGRES)
        .map(|applied| applied.len())
        .map_err(|e| anyhow!("running PostgreSQL migrations: {e}"));
    pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        .context("releasing the migration lock")?;
    result
}

#[diesel::declare_sql_function]
extern "SQL" {
    /// SHA-256 in hex, which SQLite lacks and migration 31 needs (PostgreSQL has `sha256`).
    fn outreach_sha256_hex(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

fn run_sqlite(sqlite: &mut SqliteConnection) -> anyhow::Result<usize> {
    outreach_sha256_hex_utils::register_impl(sqlite, |text: String| {
        crate::auth::tokens::sha256_hex(text.as_bytes())
    })
    .context("registering the migrations' SQL functions")?;
    sqlite
        .run_pending_migrations(SQLITE)
        .map(|applied| applied.len())
        .map_err(|e| anyhow!("running SQLite migrations: {e}"))
}
