//! The database layer: one connection type over PostgreSQL and SQLite, the pool, migrations, and
//! the few statements that differ per backend.

pub mod migrate;
pub mod pool;
pub mod portable;
pub mod schema;

use diesel::{PgConnection, SqliteConnection};

/// One connection type for both backends. Queries written against it run on either; the rare
/// statement only one backend supports matches on the variant (see [`portable`]).
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// PostgreSQL URLs by scheme; anything else is a SQLite file path.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

pub use pool::{run, Pool};
