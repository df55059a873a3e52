//! The database layer: one connection type over PostgreSQL and SQLite, the pool, migrations, and
//! the few statements that differ per backend.

pub mod migrate;
pub mod pg_copy;
pub mod pool;
pub mod portable;
// Hand-formatted (rustfmt would put every table of the join list on its own line).
#[rustfmt::skip]
pub mod schema;
mod turns;

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

pub use pool::{run, run_write, Pool};

/// Whether `error` is a unique violation of the named index or constraint (PostgreSQL names it;
/// callers that recover from one particular conflict ask about that one only).
pub fn violates_unique(error: &diesel::result::Error, name: &str) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some(name)
    )
}

/// Every SQLite write transaction in this process takes its turn here (see [`turns`]). One
/// queue for all SQLite files: a service has one, and tests' writes are short.
static SQLITE_WRITERS: turns::Turns = turns::Turns::new();

/// A transaction that will write. On SQLite it first waits its turn behind the writers before
/// it ([`turns`]), then starts `BEGIN IMMEDIATE`, taking the write lock
/// up front: a deferred transaction that reads and then writes can fail outright when another
/// writer committed in between, instead of waiting its turn. On PostgreSQL it is an ordinary
/// transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
    let DbConn::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    let _turn = SQLITE_WRITERS.take();
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match work(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// A SQLite connection with no transaction open: a write on it would poll for the lock
/// instead of taking its turn ([`turns`]).
pub fn sqlite_outside_transaction(conn: &mut DbConn) -> bool {
    use diesel::connection::{Connection, TransactionManager};
    matches!(conn, DbConn::Sqlite(_))
        && matches!(
            <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
                .transaction_depth(),
            Ok(None)
        )
}

#[derive(diesel::QueryableByName)]
struct Taken {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    taken: bool,
}

/// One of PostgreSQL's advisory lock functions on `key` (`pg_try_advisory_lock`,
/// `pg_advisory_unlock`): whether it took, or let go of, the lock.
fn advisory(pg: &mut DbConn, function: &str, key: i64) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    let row: Taken = diesel::sql_query(format!("SELECT {function}($1) AS taken"))
        .bind::<diesel::sql_types::BigInt, _>(key)
        .get_result(pg)?;
    Ok(row.taken)
}

/// Runs `work` unless another instance is running work under the same `key`; `None` when one
/// is. On PostgreSQL a session advisory lock, released when `work` ends (or with the
/// connection, if the process dies); SQLite serves one instance, which runs it.
pub fn alone<T, E>(
    conn: &mut DbConn,
    key: i64,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<Option<T>, E>
where
    E: From<diesel::result::Error>,
{
    if let DbConn::Sqlite(_) = conn {
        return work(conn).map(Some);
    }
    if !advisory(conn, "pg_try_advisory_lock", key)? {
        return Ok(None);
    }
    // The lock belongs to the connection, which goes back to the pool: it is let go however
    // `work` ends, a panic included, or this instance would keep it from every other.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)));
    let released = advisory(conn, "pg_advisory_unlock", key);
    let value = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    released?;
    Ok(Some(value))
}

/// Lets the current transaction's commit return before its record is on disk (PostgreSQL's
/// `synchronous_commit = off` for this transaction alone). Only for work whose result nobody is
/// told until a later transaction that writes has committed the ordinary way, which waits for
/// the log up to its own commit, and so for every commit before it: a bulk import's chunks,
/// whose waits for the disk would otherwise leave the cores idle between them. A crash of the
/// database server before that loses such chunks whole, never part of one. SQLite: no change.
pub fn commit_without_waiting(conn: &mut DbConn) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Postgres(pg) => pg.batch_execute("SET LOCAL synchronous_commit = off"),
        DbConn::Sqlite(_) => Ok(()),
    }
}
