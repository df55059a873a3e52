use actix_web::web;
use outreach::{
    config::{Config, Environment},
    db::DbConn,
    startup::Application,
    state::AppState,
};

use super::{postgres, session::Session};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub state: web::Data<AppState>,
    _data_dir: tempfile::TempDir,
    /// Last, so the app's state lets go of the pool before the database goes.
    _database: Option<postgres::TestDatabase>,
}

/// The test configuration, with the PostgreSQL database created for it (kept while it lives).
pub fn test_config(
    backend: Backend,
    data_dir: &std::path::Path,
) -> (Config, Option<postgres::TestDatabase>) {
    let database = (backend == Backend::Postgres).then(postgres::fresh_database);
    let database_url = match &database {
        None => data_dir.join("test.sqlite3").display().to_string(),
        Some(database) => database.url(),
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database_url,
        demo: false,
        environment: Environment::Development,
        session_key: outreach::auth::tokens::random_bytes(64),
        previous_session_keys: Vec::new(),
        base_url: String::new(),
        pool_size: 8,
        db_timeout: std::time::Duration::from_secs(5),
        run_workers: false,
        http_workers: 2,
        secure_cookies: false,
        mail_from: "Outreach Tests <outreach@example.test>".into(),
        smtp: None,
        link_days: 14,
        link_rate_limit: 30,
        metrics_token: None,
        trusted_proxies: Vec::new(),
        call_renew_every: std::time::Duration::from_secs(300),
    };
    (config, database)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

/// Spawns with a configuration the test adjusts first.
pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    outreach::telemetry::init_with_default("warn").expect("OUTREACH_LOG");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut config, mut database) = test_config(backend, data_dir.path());
    adjust(&mut config);
    if database
        .as_ref()
        .is_some_and(|db| db.url() != config.database_url)
    {
        database = None; // the test pointed this instance at another database
    }
    let app = Application::build(config).await.expect("the app builds");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        _data_dir: data_dir,
        _database: database,
    }
}

/// How many of a client's cases the reports count as referred (the hourly shards summed).
pub fn referred_count(conn: &mut DbConn, client_id: i64) -> i64 {
    use diesel::prelude::*;
    use outreach::db::schema::milestone_counts;
    let counted: Vec<i64> = milestone_counts::table
        .filter(milestone_counts::client_id.eq(client_id))
        .filter(milestone_counts::measure.eq("referred"))
        .select(milestone_counts::n)
        .load(conn)
        .expect("referrals counted");
    counted.iter().sum()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A database connection for arranging and checking state directly.
    pub fn conn(&self) -> outreach::db::pool::PooledConn {
        self.state.pool.get().expect("a test database connection")
    }

    pub fn with_conn<T>(&self, work: impl FnOnce(&mut DbConn) -> T) -> T {
        let mut conn = self.conn();
        work(&mut conn)
    }

    /// How many audit entries with this action name this case.
    pub fn audit_count(&self, action: &str, case_id: i64) -> i64 {
        use diesel::prelude::*;
        use outreach::db::schema::audit_log;
        self.with_conn(|conn| {
            audit_log::table
                .filter(audit_log::action.eq(action))
                .filter(audit_log::entity.eq("case"))
                .filter(audit_log::entity_id.eq(case_id))
                .count()
                .get_result(conn)
                .expect("audit entries counted")
        })
    }

    /// Runs the `outreach` command line against this app's database.
    pub fn outreach(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_outreach"))
            .args(args)
            .env("OUTREACH_DATA_DIR", self._data_dir.path())
            .env("OUTREACH_DATABASE_URL", &self.state.config.database_url)
            .env("OUTREACH_DEMO", "false")
            .env("OUTREACH_LOG", "error")
            .output()
            .expect("the outreach command runs")
    }

    /// A browser-like client with its own cookie jar, not logged in.
    pub fn anonymous(&self) -> Session {
        Session::new(&self.address)
    }

    pub fn create_client(&self, name: &str) -> i64 {
        self.with_conn(|conn| {
            outreach::accounts::create_client(
                conn,
                outreach::audit::Actor::System,
                name,
                None,
                None,
            )
            .expect("client created")
        })
    }

    /// Creates a user with the given role; returns (email, password).
    pub fn create_user(&self, role: &str, client_id: Option<i64>) -> (String, String) {
        let email = format!(
            "{role}-{}@example.test",
            outreach::auth::tokens::random_hex(4)
        );
        let password = self.with_conn(|conn| {
            let new = outreach::accounts::NewUser::parse(&email, "Test Person", role, client_id)
                .expect("valid user");
            outreach::accounts::create_user(conn, outreach::audit::Actor::System, new)
                .expect("user created")
                .1
        });
        (email, password)
    }

    /// Logs in a new user of this role and returns their session.
    pub async fn login_as(&self, role: &str, client_id: Option<i64>) -> Session {
        let (email, password) = self.create_user(role, client_id);
        let session = self.anonymous();
        let response = session.login(&email, &password).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "login as {role} should redirect"
        );
        session
    }

    /// A new handler signs in and takes the next call from the queue page, which must be `case`'s
    /// (a referral's answer): their session, and the call page's path.
    pub async fn new_handler_on_call(&self, case: &serde_json::Value) -> (Session, String) {
        let handler = self.login_as("handler", None).await;
        let call_page = format!("/calls/{}", case["id"]);
        let taken = handler.post_form("/queue/next", &[]).await;
        assert_eq!(
            super::session::location(&taken),
            call_page,
            "the case's call"
        );
        (handler, call_page)
    }

    pub fn client_api_key(&self, client_id: i64) -> String {
        self.with_conn(|conn| {
            outreach::accounts::issue_client_key(
                conn,
                outreach::audit::Actor::System,
                client_id,
                "test",
            )
            .expect("key issued")
            .1
        })
    }

    /// A handler (or supervisor) with a personal token; returns (user id, token).
    pub fn staff_token(&self, role: &str) -> (i64, String) {
        let (email, _) = self.create_user(role, None);
        self.with_conn(|conn| {
            let id = outreach::accounts::store::user_id_by_email(conn, &email).expect("user");
            let token = outreach::accounts::issue_personal_token(
                conn,
                outreach::audit::Actor::System,
                id,
                "test",
            )
            .expect("token issued")
            .1;
            (id, token)
        })
    }

    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
    }

    /// `GET path` with a bearer credential, answered with JSON.
    pub async fn get_json(&self, path: &str, bearer: &str) -> serde_json::Value {
        self.api()
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON answer")
    }
}

/// A server whose database cannot be reached; returns its address (and keeps its data dir).
pub async fn spawn_unmigrated_for_readiness() -> (String, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut config, _) = test_config(Backend::Sqlite, data_dir.path());
    config.database_url = "postgres://nobody:nothing@127.0.0.1:1/none".into();
    config.db_timeout = std::time::Duration::from_millis(300);
    let pool = outreach::db::pool::build_pool(&config.database_url, 2, config.db_timeout).unwrap();
    let app = Application::serve(config, pool)
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, data_dir)
}
