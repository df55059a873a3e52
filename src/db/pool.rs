//! Connection pool. Connections are opened for the backend the URL names (never by trial), and
//! SQLite connections get the pragmas a concurrent web service needs.

use diesel::{
    connection::{SimpleConnection, TransactionManager},
    r2d2::{self, ManageConnection, R2D2Connection},
    Connection, PgConnection, SqliteConnection,
};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use super::{Backend, DbConn};
use crate::error::AppError;

/// The connection pool with a fair queue in front: requests wait for a connection in arrival
/// order and as tasks, so at most as many blocking threads as connections are ever busy with the
/// database (r2d2 alone parks one thread per waiting request and wakes them in no set order,
/// which shows in the slowest requests under load).
#[derive(Clone)]
pub struct Pool {
    connections: r2d2::Pool<DbManager>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    /// A connection straight from the pool (start-up, the CLI, tests); requests use `run`.
    pub fn get(&self) -> Result<PooledConn, r2d2::PoolError> {
        self.connections.get()
    }

    pub fn state(&self) -> r2d2::State {
        self.connections.state()
    }

    pub fn max_size(&self) -> u32 {
        self.connections.max_size()
    }
}
pub type PooledConn = r2d2::PooledConnection<DbManager>;

#[derive(Debug, Clone)]
pub struct DbManager {
    url: String,
    backend: Backend,
}

impl DbManager {
    pub fn new(url: &str) -> Self {
        DbManager {
            url: url.to_string(),
            backend: Backend::of_url(url),
        }
    }
}

/// WAL lets readers run beside the writer; busy_timeout makes writers queue instead of failing.
/// `synchronous = FULL`: each commit is on disk before the user is told it succeeded. WAL's
/// usual `NORMAL` survives the process crashing but can lose the last commits to a power cut or
/// an operating-system crash.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";

pub fn establish(url: &str) -> Result<DbConn, diesel::ConnectionError> {
    match Backend::of_url(url) {
        Backend::Postgres => PgConnection::establish(url).map(DbConn::Postgres),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(url)?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        debug_assert_eq!(self.backend, Backend::of_url(&self.url));
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool without connecting: a database that is down at start-up makes `/readyz`
/// fail and requests answer 503, rather than the process refusing to start.
pub fn build_pool(url: &str, size: u32, checkout_timeout: Duration) -> anyhow::Result<Pool> {
    let size = size.max(1);
    let connections = r2d2::Pool::builder()
        .max_size(size)
        // No connections opened in the background, only on demand (r2d2 opens them on its own
        // threads): one still opening when the process exits crashed it at exit (a segfault in
        // libpq's teardown, about one `outreach create-client` in three).
        .min_idle(Some(0))
        .connection_timeout(checkout_timeout)
        // `checkout` tests connections, and only those not heard from for a while.
        .test_on_check_out(false)
        .build_unchecked(DbManager::new(url));
    Ok(Pool {
        connections,
        permits: Arc::new(tokio::sync::Semaphore::new(size as usize)),
    })
}

/// When a connection last answered (kept in its pool extensions).
struct Answered(Instant);

/// How long a connection that answered is trusted without asking again.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A connection that answered within the last second. Testing every check-out (r2d2's default)
/// costs a `SELECT 1` round trip per request; under load nearly every connection has just been
/// used, and after a database restart a stale one is noticed and replaced within a second.
pub fn checkout(pool: &Pool) -> Result<PooledConn, AppError> {
    for _ in 0..=pool.max_size() {
        let mut conn = pool.get().map_err(|e| {
            tracing::warn!(error = %e, "database unavailable");
            AppError::Unavailable
        })?;
        let recent = r2d2::PooledConnection::extensions(&conn)
            .get::<Answered>()
            .is_some_and(|a| a.0.elapsed() < TRUSTED_FOR);
        if recent {
            return Ok(conn);
        }
        match conn.ping() {
            Ok(_) => {
                r2d2::PooledConnection::extensions_mut(&mut conn).insert(Answered(Instant::now()));
                return Ok(conn);
            }
            // Marked broken, the pool closes it when it comes back instead of lending it again.
            Err(e) => {
                tracing::warn!(error = %e, "dropping a database connection that stopped answering");
                <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(
                    &mut conn,
                )
                .set_in_error();
            }
        }
    }
    Err(AppError::Unavailable)
}

/// Runs blocking database work on actix's blocking pool so no request thread ever waits on I/O.
pub async fn run<F, T>(pool: &Pool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let wait = pool.connections.connection_timeout();
    let permit = tokio::time::timeout(wait, pool.permits.clone().acquire_owned())
        .await
        .map_err(|_| {
            tracing::warn!("database unavailable: no connection free in time");
            AppError::Unavailable
        })?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("connection queue closed: {e}")))?;
    let pool = pool.clone();
    actix_web::web::block(move || {
        let _permit = permit;
        let mut conn = checkout(&pool)?;
        work(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// `run` with the work in one write transaction (`super::write_transaction`): what every handler
/// that changes data does.
pub async fn run_write<F, T>(pool: &Pool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| super::write_transaction(conn, work)).await
}

#[cfg(test)]
mod tests {
    use diesel::{sql_types::Integer, QueryableByName, RunQueryDsl};

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Integer)]
        synchronous: i32,
    }

    #[test]
    fn sqlite_commits_reach_the_disk_before_they_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("durable.sqlite3").display().to_string();
        let super::DbConn::Sqlite(mut conn) = super::establish(&url).unwrap() else {
            panic!("a file path is SQLite");
        };
        let setting: Setting = diesel::sql_query("PRAGMA synchronous")
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(setting.synchronous, 2, "FULL");
    }
}
