//! The small escape hatch for statements the two backends spell differently. `MultiConnection`
//! covers the common subset; `RETURNING` is not in it, so inserts that need the new row's id
//! run on the concrete connection.

use diesel::{
    query_dsl::LoadQuery, result::QueryResult, PgConnection, RunQueryDsl, SqliteConnection,
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
