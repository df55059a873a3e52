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
            a.parse().map_err(|_| {
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
    std::fs::write(&path, encoded).with_context(|| format!("writing {}", path.display()))?;
    Ok(key)
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
