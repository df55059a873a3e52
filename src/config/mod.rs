//! Configuration from `OUTREACH_*` environment variables.
//!
//! Secrets (the session key, database passwords, SMTP passwords) never reach a log line: `Debug`
//! is written by hand to redact them.

use std::{fmt, path::PathBuf};

use anyhow::{bail, Context};

mod values;

pub use values::redact_url;
pub use values::write_private;
use values::{
    base_url, database_url, db_timeout_secs, decode_key, is_loopback, link_days, link_rate_limit,
    load_or_create_dev_key, mail_from, parse_bool, pool_size, smtp_credentials, trusted_proxies,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (a local relay, or tests).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username.as_ref().map(|_| "<redacted>"))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .finish()
    }
}

#[derive(Clone)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub demo: bool,
    pub environment: Environment,
    /// 64 bytes: signs and encrypts cookies, and derives e-mailed links.
    pub session_key: Vec<u8>,
    /// Keys this one replaced (`OUTREACH_PREVIOUS_SESSION_KEYS`): links already e-mailed, or
    /// queued, under one of them keep working. Cookies are not read with them: a rotation signs
    /// everyone out.
    pub previous_session_keys: Vec<Vec<u8>>,
    /// Public base URL used in e-mailed links.
    pub base_url: String,
    pub pool_size: u32,
    /// How long a request waits for a database connection before answering 503.
    pub db_timeout: std::time::Duration,
    /// Whether this instance runs background workers (several instances may share one database).
    pub run_workers: bool,
    /// Actix worker threads; 0 means one per core.
    pub http_workers: usize,
    /// Whether the session cookie carries the `Secure` attribute (on behind HTTPS).
    pub secure_cookies: bool,
    /// `From:` of every e-mail.
    pub mail_from: String,
    /// SMTP relay; without it (development only) mail is written as `.eml` files.
    pub smtp: Option<SmtpSettings>,
    /// How long customers' plan links work.
    pub link_days: i64,
    /// Requests per minute one address may make to customer link pages.
    pub link_rate_limit: u32,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>` (for a scraper that
    /// reaches the service where the public does); unset, it is open, for a private port.
    pub metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the customer-link rate
    /// limit); none by default, so the header is not trusted.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often an open call page renews its handler's claim: a third of the lease, so two
    /// renewals in a row may fail (a dropped connection) before the claim runs out.
    pub call_renew_every: std::time::Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("demo", &self.demo)
            .field("environment", &self.environment)
            .field("session_key", &"<redacted>")
            .field(
                "previous_session_keys",
                &format!("<{} redacted>", self.previous_session_keys.len()),
            )
            .field("base_url", &self.base_url)
            .field("pool_size", &self.pool_size)
            .field("run_workers", &self.run_workers)
            .field("mail_from", &self.mail_from)
            .field("smtp", &self.smtp)
            .field("link_days", &self.link_days)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// Reads the process environment. In development a missing session key is generated once and
    /// kept in the data directory; production refuses to start without one.
    pub fn from_env() -> anyhow::Result<Self> {
        let environment = match var("OUTREACH_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!("OUTREACH_ENV must be development or production, not {other:?}"),
        };
        let data_dir = PathBuf::from(var("OUTREACH_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let bind = var("OUTREACH_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let database_url = database_url(
            var("OUTREACH_DATABASE_URL")
                .unwrap_or_else(|| data_dir.join("outreach.sqlite3").display().to_string()),
        )?;
        let demo = match var("OUTREACH_DEMO") {
            Some(v) => parse_bool("OUTREACH_DEMO", &v)?,
            None => environment == Environment::Development,
        };
        let session_key = match var("OUTREACH_SESSION_KEY") {
            Some(encoded) => decode_key("OUTREACH_SESSION_KEY", &encoded)?,
            None if environment == Environment::Production => {
                bail!("OUTREACH_SESSION_KEY is required in production (64 random bytes, base64)")
            }
            None => load_or_create_dev_key(&data_dir)?,
        };
        let previous_session_keys = var("OUTREACH_PREVIOUS_SESSION_KEYS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|encoded| !encoded.is_empty())
            .map(|encoded| decode_key("OUTREACH_PREVIOUS_SESSION_KEYS", encoded))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let base_url =
            base_url(&var("OUTREACH_BASE_URL").unwrap_or_else(|| format!("http://{bind}")));
        let pool_size = pool_size(var("OUTREACH_DB_POOL_SIZE").as_deref())?;
        let db_timeout_secs = db_timeout_secs(var("OUTREACH_DB_TIMEOUT_SECS").as_deref())?;
        let run_workers = var("OUTREACH_WORKERS")
            .map(|v| parse_bool("OUTREACH_WORKERS", &v))
            .transpose()?
            .unwrap_or(true);
        let http_workers = var("OUTREACH_HTTP_WORKERS")
            .map(|v| v.parse().context("OUTREACH_HTTP_WORKERS must be a number"))
            .transpose()?
            .unwrap_or(0);
        let secure_cookies = var("OUTREACH_SECURE_COOKIES")
            .map(|v| parse_bool("OUTREACH_SECURE_COOKIES", &v))
            .transpose()?
            .unwrap_or(environment == Environment::Production);
        let (username, password) =
            smtp_credentials(var("OUTREACH_SMTP_USERNAME"), var("OUTREACH_SMTP_PASSWORD"))?;
        let smtp = match var("OUTREACH_SMTP_HOST") {
            Some(host) => Some(SmtpSettings {
                host,
                port: var("OUTREACH_SMTP_PORT")
                    .map(|v| {
                        v.parse()
                            .context("OUTREACH_SMTP_PORT must be a port number")
                    })
                    .transpose()?
                    .unwrap_or(587),
                username,
                password,
                tls: match var("OUTREACH_SMTP_TLS").as_deref() {
                    None | Some("starttls") => SmtpTls::StartTls,
                    Some("tls") => SmtpTls::Tls,
                    Some("none") => SmtpTls::None,
                    Some(other) => {
                        bail!("OUTREACH_SMTP_TLS must be starttls, tls or none, not {other:?}")
                    }
                },
            }),
            // Required to serve in production (`check_can_serve`); a migration or an operator's
            // command sends no mail and needs no mail secrets.
            None => None,
        };
        let link_days = link_days(var("OUTREACH_LINK_DAYS").as_deref())?;
        let link_rate_limit = link_rate_limit(var("OUTREACH_LINK_RATE_LIMIT").as_deref())?;
        Ok(Config {
            smtp,
            link_days,
            link_rate_limit,
            metrics_token: var("OUTREACH_METRICS_TOKEN"),
            trusted_proxies: trusted_proxies(var("OUTREACH_TRUSTED_PROXIES").as_deref())?,
            mail_from: mail_from(
                var("OUTREACH_MAIL_FROM")
                    .unwrap_or_else(|| "Outreach <no-reply@outreach.invalid>".into()),
            )?,
            bind,
            data_dir,
            database_url,
            demo: demo && environment == Environment::Development,
            environment,
            session_key,
            previous_session_keys,
            base_url,
            pool_size,
            db_timeout: std::time::Duration::from_secs(db_timeout_secs.unsigned_abs()),
            run_workers,
            http_workers,
            secure_cookies,
            call_renew_every: std::time::Duration::from_secs(
                crate::queue::DEFAULT_LEASE_MINUTES.unsigned_abs() * 60 / 3,
            ),
        })
    }

    /// Every key an e-mailed link may have been derived from: the current one first.
    pub fn link_secrets(&self) -> Vec<&[u8]> {
        std::iter::once(&self.session_key)
            .chain(&self.previous_session_keys)
            .map(Vec::as_slice)
            .collect()
    }

    /// What production needs before it serves anyone, beyond what every command needs: mail that
    /// is really sent, and e-mailed links that reach the service (the default base URL is the
    /// bind address, `http://0.0.0.0:8080`, which no customer can open).
    ///
    /// Outside production it asks one thing: that a service others can reach was meant to be a
    /// development one. `OUTREACH_ENV` unset is development (demo data, a generated key, cookies
    /// without `Secure`), which is right on this machine's loopback but not on a public address,
    /// where it would most likely be a production deployment that forgot to say so.
    pub fn check_can_serve(&self) -> anyhow::Result<()> {
        if !self.is_production() {
            if var("OUTREACH_ENV").is_none() && !is_loopback(&self.bind) {
                bail!(
                    "OUTREACH_BIND {:?} can be reached from other machines, but OUTREACH_ENV is not set: \
                     set OUTREACH_ENV=production (or OUTREACH_ENV=development for a demo others may reach)",
                    self.bind
                );
            }
            return Ok(());
        }
        if self.smtp.is_none() {
            bail!("OUTREACH_SMTP_HOST is required in production: customers' e-mails must really be sent");
        }
        if !self.base_url.starts_with("https://") {
            bail!(
                "OUTREACH_BASE_URL must be set in production to the service's public https:// address \
                 (e-mailed links use it), not {:?}",
                self.base_url
            );
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}
