//! Both backends' migrations produce exactly the tables and columns `src/db/schema/` declares: same
//! names, same types, same nullability.

use std::collections::BTreeSet;

use diesel::{
    sql_query,
    sql_types::{Integer, Text},
    QueryableByName, RunQueryDsl,
};
use outreach::db::DbConn;

use crate::helpers::{postgres, spawn_app, Backend};

/// (table, column, type, nullable)
type Column = (String, String, String, bool);

fn declared() -> BTreeSet<Column> {
    let source = [
        include_str!("../../src/db/schema/people_tables.rs"),
        include_str!("../../src/db/schema/cases_tables.rs"),
        include_str!("../../src/db/schema/calls_tables.rs"),
        include_str!("../../src/db/schema/plans_tables.rs"),
        include_str!("../../src/db/schema/support_tables.rs"),
        include_str!("../../src/db/schema/reports_tables.rs"),
    ]
    .concat();
    let mut columns = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if let Some(name) = line
            .strip_suffix('{')
            .and_then(|l| l.split_once(" ("))
            .map(|(t, _)| t.trim())
        {
            if !name.contains(' ') && !name.is_empty() {
                table = Some(name.to_string());
                continue;
            }
        }
        if line == "}" {
            table = None;
            continue;
        }
        if let (Some(t), Some((column, ty))) =
            (&table, line.trim_end_matches(',').split_once(" -> "))
        {
            let (ty, nullable) = match ty
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner, true),
                None => (ty, false),
            };
            let ty = match ty {
                "BigInt" => "int8",
                "Integer" => "int4",
                "Text" => "text",
                "Bool" => "bool",
                "Timestamp" => "timestamp",
                "Date" => "date",
                other => panic!("the schema uses {other}, which MultiConnection may not support"),
            };
            columns.insert((
                t.clone(),
                column.trim().to_string(),
                ty.to_string(),
                nullable,
            ));
        }
    }
    assert!(columns.len() > 10, "parsed src/db/schema/");
    columns
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn postgres_columns(conn: &mut DbConn) -> BTreeSet<Column> {
    let rows: Vec<PgColumn> = sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    rows.into_iter()
        .map(|r| {
            let ty = match r.data_type.as_str() {
                "bigint" => "int8",
                "integer" => "int4",
                "text" => "text",
                "boolean" => "bool",
                "timestamp without time zone" => "timestamp",
                "date" => "date",
                other => panic!(
                    "unexpected PostgreSQL type {other} in {}.{}",
                    r.table_name, r.column_name
                ),
            };
            (
                r.table_name,
                r.column_name,
                ty.to_string(),
                r.is_nullable == "YES",
            )
        })
        .collect()
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

fn sqlite_columns(conn: &mut DbConn) -> BTreeSet<Column> {
    let rows: Vec<SqliteColumn> = sql_query(
        "SELECT m.name AS table_name, p.name AS name, p.type AS declared, p.\"notnull\" AS not_null, p.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    rows.into_iter()
        .map(|r| {
            let ty = match (r.declared.to_uppercase().as_str(), r.pk) {
                // INTEGER PRIMARY KEY is SQLite's 64-bit rowid.
                ("INTEGER", 1) | ("BIGINT", _) => "int8",
                ("INTEGER", _) => "int4",
                ("TEXT", _) => "text",
                ("BOOLEAN", _) => "bool",
                ("TIMESTAMP", _) => "timestamp",
                ("DATE", _) => "date",
                (other, _) => panic!(
                    "unexpected SQLite type {other} in {}.{}",
                    r.table_name, r.name
                ),
            };
            // A primary key is never null, whatever SQLite's notnull flag says.
            (
                r.table_name,
                r.name,
                ty.to_string(),
                r.not_null == 0 && r.pk == 0,
            )
        })
        .collect()
}

fn assert_same(backend: &str, actual: BTreeSet<Column>) {
    let expected = declared();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{backend} migrations differ from src/db/schema/\n  declared but not migrated: {missing:?}\n  migrated but not declared: {extra:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migrations_match_schema_rs() {
    let app = spawn_app(Backend::Sqlite).await;
    assert_same("SQLite", app.with_conn(sqlite_columns));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_match_schema_rs() {
    if !postgres::available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    assert_same("PostgreSQL", app.with_conn(postgres_columns));
}
