//! The measures as SQL aggregates: one grouped query per measure over a list of periods, never
//! rows loaded into memory. The periods travel as a `VALUES` list in a CTE, which both backends
//! understand; only timestamp literals and the hours arithmetic differ.

use diesel::{
    sql_query,
    sql_types::{BigInt, Double, Nullable},
    QueryableByName, RunQueryDsl,
};

use super::{measures::Measures, periods::Period};
use crate::{
    db::{Backend, DbConn},
    error::AppResult,
};

/// Whose figures: one client, or every client (supervisors).
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Client(i64),
    AllClients,
}

impl Scope {
    fn filter(self) -> String {
        match self {
            Scope::Client(id) => format!("AND c.client_id = {id}"),
            Scope::AllClients => String::new(),
        }
    }
}

fn timestamp(backend: Backend, at: chrono::NaiveDateTime) -> String {
    let text = at.format("%Y-%m-%d %H:%M:%S");
    match backend {
        Backend::Postgres => format!("TIMESTAMP '{text}'"),
        Backend::Sqlite => format!("'{text}'"),
    }
}

/// `WITH p(idx, s, e) AS (VALUES …)`: the periods, numbered.
fn periods_cte(backend: Backend, periods: &[Period]) -> String {
    let rows: Vec<String> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "({i}, {}, {})",
                timestamp(backend, p.start),
                timestamp(backend, p.end)
            )
        })
        .collect();
    format!("WITH p(idx, s, e) AS (VALUES {})", rows.join(", "))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Median {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = Nullable<Double>)]
    value: Option<f64>,
}

/// One counted measure: rows of `table` whose `time` falls in a period.
struct Counted {
    table: &'static str,
    joins: &'static str,
    time: &'static str,
    value: &'static str,
    extra: &'static str,
    set: fn(&mut Measures, i64),
}

const CASES: &str = "JOIN cases c ON c.id = t.case_id";

const ACTIVITY: [Counted; 10] = [
    Counted {
        table: "cases c",
        joins: "",
        time: "c.referred_at",
        value: "COUNT(*)",
        extra: "",
        set: |m, v| m.referred = v,
    },
    Counted {
        table: "contact_attempts t",
        joins: CASES,
        time: "t.attempted_at",
        value: "COUNT(DISTINCT t.case_id)",
        extra: "",
        set: |m, v| m.attempted = v,
    },
    Counted {
        table: "contact_attempts t",
        joins: CASES,
        time: "t.attempted_at",
        value: "COUNT(DISTINCT t.case_id)",
        extra: "AND t.conversation",
        set: |m, v| m.contacted = v,
    },
    Counted {
        table: "plans t",
        joins: CASES,
        time: "t.created_at",
        value: "COUNT(DISTINCT t.case_id)",
        extra: "",
        set: |m, v| m.plans_proposed = v,
    },
    Counted {
        table: "plans t",
        joins: CASES,
        time: "t.confirmed_at",
        value: "COUNT(DISTINCT t.case_id)",
        extra: "",
        set: |m, v| m.plans_confirmed = v,
    },
    Counted {
        table: "cases c",
        joins: "",
        time: "c.re_engaged_at",
        value: "COUNT(*)",
        extra: "",
        set: |m, v| m.re_engaged = v,
    },
    Counted {
        table: "support_links t",
        joins: CASES,
        time: "t.created_at",
        value: "COUNT(*)",
        extra: "",
        set: |m, v| m.support_links_sent = v,
    },
    Counted {
        table: "support_links t",
        joins: CASES,
        time: "t.first_opened_at",
        value: "COUNT(*)",
        extra: "",
        set: |m, v| m.support_links_opened = v,
    },
    Counted {
        table: "vulnerabilities t",
        joins: CASES,
        time: "t.recorded_at",
        value: "COUNT(DISTINCT t.case_id)",
        extra: "",
        set: |m, v| m.vulnerable_identified = v,
    },
    Counted {
        table: "holds t",
        joins: CASES,
        time: "t.created_at",
        value: "COUNT(*)",
        extra: "",
        set: |m, v| m.holds = v,
    },
];

fn hours_to_first_contact(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM (c.first_contact_at - c.referred_at)) AS DOUBLE PRECISION) / 3600.0",
        Backend::Sqlite => "(julianday(c.first_contact_at) - julianday(c.referred_at)) * 24.0",
    }
}

/// The SQL of every activity measure, for the benchmark's direct comparison.
pub fn activity_statements(backend: Backend, scope: Scope, periods: &[Period]) -> Vec<String> {
    let cte = periods_cte(backend, periods);
    let filter = scope.filter();
    let mut statements: Vec<String> = ACTIVITY
        .iter()
        .map(|m| {
            format!(
                "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, {value} AS value FROM {table} JOIN p ON {time} >= p.s AND {time} < p.e {joins} \
                 WHERE 1 = 1 {filter} {extra} GROUP BY p.idx",
                value = m.value,
                table = m.table,
                time = m.time,
                joins = m.joins,
                extra = m.extra,
            )
        })
        .collect();
    statements.push(median_statement(
        backend,
        &cte,
        &filter,
        "c.first_contact_at >= p.s AND c.first_contact_at < p.e",
    ));
    statements
}

fn median_statement(backend: Backend, cte: &str, filter: &str, join_on: &str) -> String {
    format!(
        "{cte}, d AS (SELECT CAST(p.idx AS BIGINT) AS idx, {hours} AS h FROM cases c JOIN p ON {join_on} \
         WHERE c.first_contact_at IS NOT NULL {filter}), \
         r AS (SELECT idx, h, ROW_NUMBER() OVER (PARTITION BY idx ORDER BY h) AS rn, COUNT(*) OVER (PARTITION BY idx) AS cnt FROM d) \
         SELECT idx, CAST(AVG(h) AS DOUBLE PRECISION) AS value FROM r WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY idx",
        hours = hours_to_first_contact(backend),
    )
}

/// What happened in each period.
pub fn activity(conn: &mut DbConn, scope: Scope, periods: &[Period]) -> AppResult<Vec<Measures>> {
    let backend = conn.backend();
    let mut out = vec![Measures::default(); periods.len()];
    let statements = activity_statements(backend, scope, periods);
    for (measure, statement) in ACTIVITY.iter().zip(&statements) {
        for row in sql_query(statement).load::<Count>(conn)? {
            (measure.set)(&mut out[row.idx as usize], row.value);
        }
    }
    if let Some(median) = statements.last() {
        for row in sql_query(median).load::<Median>(conn)? {
            out[row.idx as usize].median_hours_to_first_contact =
                row.value.map(|h| (h * 100.0).round() / 100.0);
        }
    }
    Ok(out.into_iter().map(Measures::with_rates).collect())
}

#[derive(QueryableByName, Default)]
struct CohortRow {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = BigInt)]
    referred: i64,
    #[diesel(sql_type = BigInt)]
    attempted: i64,
    #[diesel(sql_type = BigInt)]
    contacted: i64,
    #[diesel(sql_type = BigInt)]
    plans_proposed: i64,
    #[diesel(sql_type = BigInt)]
    plans_confirmed: i64,
    #[diesel(sql_type = BigInt)]
    re_engaged: i64,
    #[diesel(sql_type = BigInt)]
    support_links_sent: i64,
    #[diesel(sql_type = BigInt)]
    support_links_opened: i64,
    #[diesel(sql_type = BigInt)]
    vulnerable_identified: i64,
    #[diesel(sql_type = BigInt)]
    holds: i64,
}

/// What became of each period's referrals by `until` (the end of the range).
pub fn cohorts(
    conn: &mut DbConn,
    scope: Scope,
    periods: &[Period],
    until: chrono::NaiveDateTime,
) -> AppResult<Vec<Measures>> {
    let backend = conn.backend();
    let cte = periods_cte(backend, periods);
    let filter = scope.filter();
    let end = timestamp(backend, until);
    let exists =
        |sub: &str| format!("CAST(SUM(CASE WHEN EXISTS ({sub}) THEN 1 ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, COUNT(*) AS referred, \
         {attempted} AS attempted, {contacted} AS contacted, {proposed} AS plans_proposed, {confirmed} AS plans_confirmed, \
         CAST(SUM(CASE WHEN c.re_engaged_at < {end} THEN 1 ELSE 0 END) AS BIGINT) AS re_engaged, \
         CAST(SUM((SELECT COUNT(*) FROM support_links l WHERE l.case_id = c.id AND l.created_at < {end})) AS BIGINT) AS support_links_sent, \
         CAST(SUM((SELECT COUNT(*) FROM support_links l WHERE l.case_id = c.id AND l.first_opened_at < {end})) AS BIGINT) AS support_links_opened, \
         {vulnerable} AS vulnerable_identified, \
         CAST(SUM((SELECT COUNT(*) FROM holds h WHERE h.case_id = c.id AND h.created_at < {end})) AS BIGINT) AS holds \
         FROM cases c JOIN p ON c.referred_at >= p.s AND c.referred_at < p.e WHERE 1 = 1 {filter} GROUP BY p.idx",
        attempted = exists(&format!("SELECT 1 FROM contact_attempts a WHERE a.case_id = c.id AND a.attempted_at < {end}")),
        contacted = exists(&format!("SELECT 1 FROM contact_attempts a WHERE a.case_id = c.id AND a.conversation AND a.attempted_at < {end}")),
        proposed = exists(&format!("SELECT 1 FROM plans pl WHERE pl.case_id = c.id AND pl.created_at < {end}")),
        confirmed = exists(&format!("SELECT 1 FROM plans pl WHERE pl.case_id = c.id AND pl.confirmed_at < {end}")),
        vulnerable = exists(&format!("SELECT 1 FROM vulnerabilities v WHERE v.case_id = c.id AND v.recorded_at < {end}")),
    );
    let mut out = vec![Measures::default(); periods.len()];
    for row in sql_query(&sql).load::<CohortRow>(conn)? {
        out[row.idx as usize] = Measures {
            referred: row.referred,
            attempted: row.attempted,
            contacted: row.contacted,
            plans_proposed: row.plans_proposed,
            plans_confirmed: row.plans_confirmed,
            re_engaged: row.re_engaged,
            support_links_sent: row.support_links_sent,
            support_links_opened: row.support_links_opened,
            vulnerable_identified: row.vulnerable_identified,
            holds: row.holds,
            ..Default::default()
        };
    }
    let median = median_statement(
        backend,
        &cte,
        &format!("{filter} AND c.first_contact_at < {end}"),
        "c.referred_at >= p.s AND c.referred_at < p.e",
    );
    for row in sql_query(&median).load::<Median>(conn)? {
        out[row.idx as usize].median_hours_to_first_contact =
            row.value.map(|h| (h * 100.0).round() / 100.0);
    }
    Ok(out.into_iter().map(Measures::with_rates).collect())
}

/// Per handler over a range: what their calls achieved.
#[derive(QueryableByName, serde::Serialize, Debug)]
pub struct HandlerRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub handler: String,
    #[diesel(sql_type = BigInt)]
    pub attempted: i64,
    #[diesel(sql_type = BigInt)]
    pub contacted: i64,
    #[diesel(sql_type = BigInt)]
    pub plans_proposed: i64,
    #[diesel(sql_type = BigInt)]
    pub plans_confirmed: i64,
}

pub fn by_handler(conn: &mut DbConn, scope: Scope, period: &Period) -> AppResult<Vec<HandlerRow>> {
    let backend = conn.backend();
    let (s, e) = (
        timestamp(backend, period.start),
        timestamp(backend, period.end),
    );
    let filter = scope.filter();
    let sql = format!(
        "SELECT u.display_name AS handler, \
         (SELECT COUNT(DISTINCT a.case_id) FROM contact_attempts a JOIN cases c ON c.id = a.case_id WHERE a.handler_id = u.id AND a.attempted_at >= {s} AND a.attempted_at < {e} {filter}) AS attempted, \
         (SELECT COUNT(DISTINCT a.case_id) FROM contact_attempts a JOIN cases c ON c.id = a.case_id WHERE a.handler_id = u.id AND a.conversation AND a.attempted_at >= {s} AND a.attempted_at < {e} {filter}) AS contacted, \
         (SELECT COUNT(DISTINCT t.case_id) FROM plans t JOIN cases c ON c.id = t.case_id WHERE t.created_by = u.id AND t.created_at >= {s} AND t.created_at < {e} {filter}) AS plans_proposed, \
         (SELECT COUNT(DISTINCT t.case_id) FROM plans t JOIN cases c ON c.id = t.case_id WHERE t.created_by = u.id AND t.confirmed_at >= {s} AND t.confirmed_at < {e} {filter}) AS plans_confirmed \
         FROM users u WHERE u.role IN ('handler', 'supervisor') ORDER BY u.display_name, u.id"
    );
    Ok(sql_query(sql).load(conn)?)
}
