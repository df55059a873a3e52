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
    /// The SQL condition on `alias.client_id`.
    fn filter(self, alias: &str) -> String {
        match self {
            Scope::Client(id) => format!("AND {alias}.client_id = {id}"),
            Scope::AllClients => String::new(),
        }
    }
}

pub(super) fn timestamp(backend: Backend, at: chrono::NaiveDateTime) -> String {
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

/// One counted event measure: rows of `table` whose `time` falls in a period.
struct Counted {
    table: &'static str,
    time: &'static str,
    set: fn(&mut Measures, i64),
}

/// Events counted from their own tables (scoped through their case).
const EVENTS: [Counted; 3] = [
    Counted {
        table: "support_links",
        time: "t.created_at",
        set: |m, v| m.support_links_sent = v,
    },
    Counted {
        table: "support_links",
        time: "t.first_opened_at",
        set: |m, v| m.support_links_opened = v,
    },
    Counted {
        table: "holds",
        time: "t.created_at",
        set: |m, v| m.holds = v,
    },
];

/// Per-case milestones, summed from `milestone_counts` (kept by triggers, one row per client,
/// measure and hour).
fn set_milestone(m: &mut Measures, measure: &str, value: i64) {
    match measure {
        "referred" => m.referred = value,
        "attempted" => m.attempted = value,
        "contacted" => m.contacted = value,
        "plans_proposed" => m.plans_proposed = value,
        "plans_confirmed" => m.plans_confirmed = value,
        "re_engaged" => m.re_engaged = value,
        "vulnerable_identified" => m.vulnerable_identified = value,
        other => {
            // Calls by outcome (migration 30).
            if let Some(outcome) = other.strip_prefix("outcome:") {
                m.calls_by_outcome.insert(outcome.to_string(), value);
            }
        }
    }
}

#[derive(QueryableByName)]
struct MilestoneSum {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    measure: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// The SQL of every activity measure (milestone sums, event counts, median), for the benchmark's
/// direct comparison.
pub fn activity_statements(backend: Backend, scope: Scope, periods: &[Period]) -> Vec<String> {
    let cte = periods_cte(backend, periods);
    let mut statements = vec![milestone_sums(&cte, scope, "")];
    statements.extend(EVENTS.iter().map(|m| {
        format!(
            "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, COUNT(*) AS value FROM {table} t JOIN p ON {time} >= p.s AND {time} < p.e \
             JOIN cases c ON c.id = t.case_id WHERE 1 = 1 {filter} GROUP BY p.idx",
            table = m.table,
            time = m.time,
            filter = scope.filter("c"),
        )
    }));
    statements.push(super::median::statement(
        backend,
        periods,
        &cte,
        &scope.filter("m"),
        "m.first_contact_at",
    ));
    statements
}

/// Each period's milestone counts per measure (rows of [`MilestoneSum`]), from `milestone_counts`;
/// `condition` narrows the measures (`AND k.measure = …`) or is empty for all of them.
fn milestone_sums(cte: &str, scope: Scope, condition: &str) -> String {
    format!(
        "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, k.measure AS measure, CAST(SUM(k.n) AS BIGINT) AS value \
         FROM milestone_counts k JOIN p ON k.hour >= p.s AND k.hour < p.e WHERE 1 = 1 {condition} {filter} \
         GROUP BY p.idx, k.measure",
        filter = scope.filter("k"),
    )
}

/// Gives the report's transaction room to sort (the median) in memory on PostgreSQL.
pub fn prepare(conn: &mut DbConn) -> AppResult<()> {
    if conn.backend() == Backend::Postgres {
        sql_query(format!("SET LOCAL work_mem = '{REPORT_WORK_MEM}'")).execute(conn)?;
    }
    Ok(())
}

/// Memory for one report's sorts (PostgreSQL's default of 4 MB spills a year's median to disk).
pub const REPORT_WORK_MEM: &str = "64MB";

/// What happened in each period: each customer counts in the period of their first attempt,
/// first conversation, first plan, confirmation and re-engagement, so periods add up to the total.
pub fn activity(conn: &mut DbConn, scope: Scope, periods: &[Period]) -> AppResult<Vec<Measures>> {
    let backend = conn.backend();
    let mut out = vec![Measures::default(); periods.len()];
    let statements = activity_statements(backend, scope, periods);
    for row in sql_query(&statements[0]).load::<MilestoneSum>(conn)? {
        set_milestone(&mut out[row.idx as usize], &row.measure, row.value);
    }
    for (measure, statement) in EVENTS.iter().zip(&statements[1..]) {
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

#[derive(QueryableByName)]
struct CohortRow {
    #[diesel(sql_type = BigInt)]
    idx: i64,
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
    vulnerable_identified: i64,
}

#[derive(QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = BigInt)]
    sent: i64,
    #[diesel(sql_type = BigInt)]
    opened: i64,
}

/// What became of each period's referrals by `until` (the end of the range). Referrals are
/// counted from `milestone_counts`; what became of them from the milestone rows, which exist only
/// for cases that reached a milestone on PostgreSQL (migration 21); links and holds from their own
/// tables through their case's referral time.
pub fn cohorts(
    conn: &mut DbConn,
    scope: Scope,
    periods: &[Period],
    until: chrono::NaiveDateTime,
) -> AppResult<Vec<Measures>> {
    let backend = conn.backend();
    let cte = periods_cte(backend, periods);
    let filter = scope.filter("m");
    let end = timestamp(backend, until);
    let reached =
        |column: &str| format!("CAST(SUM(CASE WHEN {column} < {end} THEN 1 ELSE 0 END) AS BIGINT)");
    let referred_in =
        |alias: &str| format!("{alias}.referred_at >= p.s AND {alias}.referred_at < p.e");
    let referred = milestone_sums(&cte, scope, "AND k.measure = 'referred'");
    let milestones = format!(
        "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, {attempted} AS attempted, {contacted} AS contacted, \
         {proposed} AS plans_proposed, {confirmed} AS plans_confirmed, {re_engaged} AS re_engaged, \
         {vulnerable} AS vulnerable_identified \
         FROM case_milestones m JOIN p ON {join} WHERE 1 = 1 {filter} GROUP BY p.idx",
        attempted = reached("m.first_attempt_at"),
        contacted = reached("m.first_contact_at"),
        proposed = reached("m.first_plan_at"),
        confirmed = reached("m.plan_confirmed_at"),
        re_engaged = reached("m.re_engaged_at"),
        vulnerable = reached("m.vulnerable_at"),
        join = referred_in("m"),
    );
    let links = format!(
        "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, {sent} AS sent, {opened} AS opened \
         FROM support_links l JOIN cases c ON c.id = l.case_id JOIN p ON {join} WHERE 1 = 1 {filter} GROUP BY p.idx",
        sent = reached("l.created_at"),
        opened = reached("l.first_opened_at"),
        join = referred_in("c"),
        filter = scope.filter("c"),
    );
    let holds = format!(
        "{cte} SELECT CAST(p.idx AS BIGINT) AS idx, {held} AS value \
         FROM holds h JOIN cases c ON c.id = h.case_id JOIN p ON {join} WHERE 1 = 1 {filter} GROUP BY p.idx",
        held = reached("h.created_at"),
        join = referred_in("c"),
        filter = scope.filter("c"),
    );
    let mut out = vec![Measures::default(); periods.len()];
    for row in sql_query(&referred).load::<MilestoneSum>(conn)? {
        set_milestone(&mut out[row.idx as usize], &row.measure, row.value);
    }
    for row in sql_query(&milestones).load::<CohortRow>(conn)? {
        let m = &mut out[row.idx as usize];
        m.attempted = row.attempted;
        m.contacted = row.contacted;
        m.plans_proposed = row.plans_proposed;
        m.plans_confirmed = row.plans_confirmed;
        m.re_engaged = row.re_engaged;
        m.vulnerable_identified = row.vulnerable_identified;
    }
    for row in sql_query(&links).load::<LinkRow>(conn)? {
        let m = &mut out[row.idx as usize];
        m.support_links_sent = row.sent;
        m.support_links_opened = row.opened;
    }
    for row in sql_query(&holds).load::<Count>(conn)? {
        out[row.idx as usize].holds = row.value;
    }
    let median = super::median::statement(
        backend,
        periods,
        &cte,
        &format!("{filter} AND m.first_contact_at < {end}"),
        "m.referred_at",
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
    /// Customers back in touch with the client in the range whom this handler had spoken to
    /// before then, or proposed the plan to that they then confirmed on the call (one spoken to
    /// by two handlers counts for each).
    #[diesel(sql_type = BigInt)]
    pub re_engaged: i64,
}

pub fn by_handler(conn: &mut DbConn, scope: Scope, period: &Period) -> AppResult<Vec<HandlerRow>> {
    let backend = conn.backend();
    let (s, e) = (
        timestamp(backend, period.start),
        timestamp(backend, period.end),
    );
    let filter = scope.filter("c");
    let sql = format!(
        "SELECT u.display_name AS handler, \
         (SELECT COUNT(DISTINCT a.case_id) FROM contact_attempts a JOIN cases c ON c.id = a.case_id WHERE a.handler_id = u.id AND a.attempted_at >= {s} AND a.attempted_at < {e} {filter}) AS attempted, \
         (SELECT COUNT(DISTINCT a.case_id) FROM contact_attempts a JOIN cases c ON c.id = a.case_id WHERE a.handler_id = u.id AND a.conversation AND a.attempted_at >= {s} AND a.attempted_at < {e} {filter}) AS contacted, \
         (SELECT COUNT(DISTINCT t.case_id) FROM plans t JOIN cases c ON c.id = t.case_id WHERE t.created_by = u.id AND t.created_at >= {s} AND t.created_at < {e} {filter}) AS plans_proposed, \
         (SELECT COUNT(DISTINCT t.case_id) FROM plans t JOIN cases c ON c.id = t.case_id WHERE t.created_by = u.id AND t.confirmed_at >= {s} AND t.confirmed_at < {e} {filter}) AS plans_confirmed, \
         (SELECT COUNT(DISTINCT a.case_id) FROM contact_attempts a JOIN cases c ON c.id = a.case_id WHERE a.handler_id = u.id AND a.conversation AND c.re_engaged_at >= {s} AND c.re_engaged_at < {e} AND (a.attempted_at <= c.re_engaged_at OR EXISTS (SELECT 1 FROM plans p WHERE p.case_id = c.id AND p.created_by = u.id AND p.created_at <= c.re_engaged_at)) {filter}) AS re_engaged \
         FROM users u WHERE u.role IN ('handler', 'supervisor') ORDER BY u.display_name, u.id"
    );
    Ok(sql_query(sql).load(conn)?)
}
