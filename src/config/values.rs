//! Reading and checking single settings, and showing them safely: the pure pieces of
//! [`super::Config::from_env`].

use anyhow::{bail, Context};
use base64::Engine;

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a `password=` parameter
/// (`postgres://host/db?user=app&password=secret`) is masked too.
pub fn redact_url(url: &str) -> String {
    let url = redact_credentials(url);
    match url.split_once('?') {
        Some((base, query)) => {
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{base}?{}", masked.join("&"))
        }
        None => url,
    }
}

fn redact_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `OUTREACH_DATABASE_URL` as given: a `postgres://` (or `postgresql://`) URL, or a SQLite file
/// path. Anything else (`POSTGRES://…`, `mysql://…`, libpq's `host=db user=app …`) would be taken
/// for a file name, and the service would quietly serve an empty embedded database. The value is
/// not repeated in the error: it may hold a password.
pub(super) fn database_url(url: String) -> anyhow::Result<String> {
    const LIBPQ_KEYWORDS: [&str; 6] = [
        "host=",
        "hostaddr=",
        "dbname=",
        "user=",
        "password=",
        "port=",
    ];
    if let Some((scheme, _)) = url.split_once("://") {
        if scheme != "postgres" && scheme != "postgresql" {
            bail!(
                "OUTREACH_DATABASE_URL must be a postgres:// URL or a SQLite file path, \
                 not a {:?} URL",
                scheme.chars().take(20).collect::<String>()
            );
        }
    } else if url
        .split_whitespace()
        .any(|word| LIBPQ_KEYWORDS.iter().any(|key| word.starts_with(key)))
    {
        bail!(
            "OUTREACH_DATABASE_URL must be written as a URL, postgres://user:password@host:5432/db, \
             not as libpq's key=value settings"
        );
    }
    Ok(url)
}

/// `OUTREACH_BASE_URL` without a trailing `/`: links are written as the base and a path that
/// starts with one, and `https://host//p/…` matches no route.
pub(super) fn base_url(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// `OUTREACH_MAIL_FROM`, checked now rather than at every send (where a mistake would fail all
/// mail, one message at a time).
pub(super) fn mail_from(value: String) -> anyhow::Result<String> {
    match value.parse::<lettre::message::Mailbox>() {
        Ok(_) => Ok(value),
        Err(e) => bail!(
            "OUTREACH_MAIL_FROM must be an address such as \"Outreach <no-reply@example.org>\", \
             not {value:?} ({e})"
        ),
    }
}

/// SMTP sign-in: both the user name and the password, or neither. One without the other used to
/// mean sending without signing in, which the relay then refuses for every message.
pub(super) fn smtp_credentials(
    username: Option<String>,
    password: Option<String>,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    match (&username, &password) {
        (Some(_), None) => bail!("OUTREACH_SMTP_USERNAME is set without OUTREACH_SMTP_PASSWORD"),
        (None, Some(_)) => bail!("OUTREACH_SMTP_PASSWORD is set without OUTREACH_SMTP_USERNAME"),
        _ => Ok((username, password)),
    }
}

/// Connections each instance keeps to the database.
pub(super) fn pool_size(raw: Option<&str>) -> anyhow::Result<u32> {
    let size = whole_number_in("OUTREACH_DB_POOL_SIZE", raw, 16, 1..=1000, "connections")?;
    Ok(u32::try_from(size)?)
}

/// Requests a minute one network may make to customers' link pages (0 would refuse them all).
pub(super) fn link_rate_limit(raw: Option<&str>) -> anyhow::Result<u32> {
    let limit = whole_number_in(
        "OUTREACH_LINK_RATE_LIMIT",
        raw,
        30,
        1..=1_000_000,
        "requests a minute",
    )?;
    Ok(u32::try_from(limit)?)
}

/// Whether `bind` (`OUTREACH_BIND`) only listens on this machine.
pub(super) fn is_loopback(bind: &str) -> bool {
    match bind.parse::<std::net::SocketAddr>() {
        Ok(address) => address.ip().is_loopback(),
        Err(_) => bind
            .rsplit_once(':')
            .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
    }
}

/// How long customers' plan links work: a customer needs a few days to open an e-mail, and a
/// link alive for months is a risk.
pub(super) fn link_days(value: Option<&str>) -> anyhow::Result<i64> {
    whole_number_in("OUTREACH_LINK_DAYS", value, 14, 1..=90, "days")
}

/// `10.0.0.9, 10.0.0.8` → those addresses.
pub(super) fn trusted_proxies(value: Option<&str>) -> anyhow::Result<Vec<std::net::IpAddr>> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            // In the form the rate limits compare (`rate_limit::client_address`): an IPv4
            // address, not the same written as IPv4-mapped IPv6.
            a.parse::<std::net::IpAddr>()
                .map(|address| address.to_canonical())
                .map_err(|_| {
                    anyhow::anyhow!("OUTREACH_TRUSTED_PROXIES must list IP addresses, not {a:?}")
                })
        })
        .collect()
}

pub(super) fn parse_bool(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => bail!("{name} must be true or false, not {other:?}"),
    }
}

/// Seconds a request waits for a database connection: at least one (the pool refuses zero).
pub(super) fn db_timeout_secs(raw: Option<&str>) -> anyhow::Result<i64> {
    whole_number_in("OUTREACH_DB_TIMEOUT_SECS", raw, 5, 1..=600, "seconds")
}

/// A setting that is a whole number within `range` (`default` when unset).
fn whole_number_in(
    name: &str,
    raw: Option<&str>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    unit: &str,
) -> anyhow::Result<i64> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => bail!(
            "{name} must be a whole number of {unit} from {} to {}, not {raw:?}",
            range.start(),
            range.end()
        ),
    }
}

pub(super) fn decode_key(name: &str, encoded: &str) -> anyhow::Result<Vec<u8>> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .with_context(|| format!("{name} must be base64"))?;
    if key.len() < 64 {
        bail!("{name} must decode to at least 64 bytes");
    }
    Ok(key)
}

pub(super) fn load_or_create_dev_key(data_dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let path = data_dir.join("session.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return decode_key("the development session key", &existing);
    }
    let key = crate::auth::tokens::random_bytes(64);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&key);
    write_private(&path, &encoded)?;
    Ok(key)
}

/// Writes a file only its owner may read (a key, passwords): not the umask's usual 0644.
pub fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| {
            // `mode` applies only to a file created here; one an earlier version left keeps
            // its own until it is set.
            #[cfg(unix)]
            file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            file.write_all(text.as_bytes())
        })
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_database_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/outreach"),
            "postgres://app:***@db:5432/outreach"
        );
        assert_eq!(
            redact_url("./data/outreach.sqlite3"),
            "./data/outreach.sqlite3"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
    }

    #[test]
    fn only_postgres_urls_and_file_paths_name_a_database() {
        for good in [
            "postgres://app:pw@db/outreach",
            "postgresql://db/outreach",
            "./data/outreach.sqlite3",
            "/var/lib/outreach/db.sqlite3",
        ] {
            assert!(database_url(good.into()).is_ok(), "{good}");
        }
        for bad in [
            "POSTGRES://app:pw@db/outreach",
            "mysql://db/outreach",
            "host=db user=app password=s3cret dbname=outreach",
        ] {
            let error = database_url(bad.into()).unwrap_err().to_string();
            assert!(
                !error.contains("s3cret") && !error.contains("pw@"),
                "{error}"
            );
        }
    }

    #[test]
    fn settings_that_would_fail_quietly_later_are_refused_at_start() {
        assert_eq!(
            base_url("https://outreach.example.org/"),
            "https://outreach.example.org"
        );
        assert!(mail_from("Outreach <no-reply@example.org>".into()).is_ok());
        assert!(mail_from("no-reply at example.org".into()).is_err());
        let (user, password) = (Some("app".to_string()), Some("pw".to_string()));
        assert!(smtp_credentials(user.clone(), password.clone()).is_ok());
        assert!(smtp_credentials(None, None).is_ok());
        assert!(smtp_credentials(user, None).is_err());
        assert!(smtp_credentials(None, password).is_err());
        assert_eq!(pool_size(None).unwrap(), 16);
        assert!(pool_size(Some("0")).is_err());
        assert_eq!(link_rate_limit(Some("60")).unwrap(), 60);
        assert!(link_rate_limit(Some("0")).is_err());
    }

    #[test]
    fn loopback_binds_are_told_apart_from_public_ones() {
        assert!(is_loopback("127.0.0.1:8080") && is_loopback("[::1]:8080"));
        assert!(is_loopback("localhost:8080"));
        assert!(!is_loopback("0.0.0.0:8080") && !is_loopback("[::]:8080"));
        assert!(!is_loopback("outreach.internal:8080"));
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_for_their_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.key");
        std::fs::write(&path, "left by an earlier version, readable by all").unwrap();
        write_private(&path, "secret").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn plan_links_last_one_to_ninety_days() {
        assert_eq!(link_days(None).unwrap(), 14);
        assert_eq!(link_days(Some("90")).unwrap(), 90);
        for bad in ["0", "-3", "91", "999999999999", "two weeks"] {
            assert!(link_days(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_ip_addresses() {
        assert!(trusted_proxies(None).unwrap().is_empty());
        assert_eq!(trusted_proxies(Some("10.0.0.9, ::1")).unwrap().len(), 2);
        assert!(trusted_proxies(Some("proxy.internal")).is_err());
        assert_eq!(
            trusted_proxies(Some("::ffff:10.0.0.9")).unwrap(),
            ["10.0.0.9".parse::<std::net::IpAddr>().unwrap()]
        );
    }

    #[test]
    fn a_password_in_the_query_string_is_masked_too() {
        assert_eq!(
            redact_url("postgres://db/x?user=app&password=s3cret&sslmode=require"),
            "postgres://db/x?user=app&password=***&sslmode=require"
        );
    }

    #[test]
    fn the_connection_wait_is_at_least_a_second() {
        assert_eq!(db_timeout_secs(None).unwrap(), 5);
        assert_eq!(db_timeout_secs(Some("30")).unwrap(), 30);
        for bad in ["0", "-1", "601", "five"] {
            assert!(db_timeout_secs(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_session_keys_are_refused() {
        assert!(decode_key("OUTREACH_SESSION_KEY", "c2hvcnQ=").is_err());
    }
}
