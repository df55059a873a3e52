//! The small escape hatch for statements the two backends spell differently. `MultiConnection`
//! covers the common subset; `RETURNING` and `ON CONFLICT` are not in it, so statements using
//! them run on the concrete connection.

use diesel::{
    query_dsl::{methods::ExecuteDsl, LoadQuery},
    result::QueryResult,
    PgConnection, RunQueryDsl, SqliteConnection,
};

use super::DbConn;

/// Runs a query (typically `insert_into(..).values(..).returning(..)`) on whichever backend this
/// connection is, and returns its single row.
pub fn get_result<'q, Q, T>(query: Q, conn: &mut DbConn) -> QueryResult<T>
where
    Q: LoadQuery<'q, PgConnection, T> + LoadQuery<'q, SqliteConnection, T>,
{
    match conn {
        DbConn::Postgres(pg) => RunQueryDsl::get_result(query, pg),
        DbConn::Sqlite(sqlite) => RunQueryDsl::get_result(query, sqlite),
    }
}

/// Runs a statement (an upsert, say) on whichever backend this connection is; the rows it wrote.
pub fn execute<Q>(query: Q, conn: &mut DbConn) -> QueryResult<usize>
where
    Q: ExecuteDsl<PgConnection> + ExecuteDsl<SqliteConnection>,
{
    match conn {
        DbConn::Postgres(pg) => ExecuteDsl::execute(query, pg),
        DbConn::Sqlite(sqlite) => ExecuteDsl::execute(query, sqlite),
    }
}
