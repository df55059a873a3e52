//! Logging with a request id on every line of a request, and the middleware that assigns it.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    Error,
};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

tokio::task_local! {
    static REQUEST_ID: String;
}

static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once; `OUTREACH_LOG` (or `RUST_LOG`) sets the filter. A filter
/// that cannot be read is an error: dropping it quietly would leave an operator without the
/// logs they asked for, and not knowing why.
pub fn init() -> anyhow::Result<()> {
    init_with_default("info")
}

/// As [`init`], with another default level (tests log warnings only).
pub fn init_with_default(level: &str) -> anyhow::Result<()> {
    let filter = match std::env::var("OUTREACH_LOG") {
        Ok(rules) => EnvFilter::try_new(&rules)
            .map_err(|e| anyhow::anyhow!("OUTREACH_LOG is not a log filter ({e}): {rules:?}"))?,
        Err(_) => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    Ok(())
}

/// The id of the request being served on this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

fn incoming_or_new_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| crate::auth::tokens::random_hex(8))
}

/// Paths carrying a customer's secret (a plan link, an unsubscribe token, a support link code),
/// with how many segments after the prefix come before it: logs keep the route's shape (so
/// `/p/…/confirm` still says what happened) but never the secret, which would open the page.
const SECRET_SEGMENTS: [(&str, usize); 3] = [("/p/", 0), ("/unsubscribe/", 1), ("/s/", 0)];

/// The request path as logs may keep it.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let Some((prefix, rest, before)) = SECRET_SEGMENTS.iter().find_map(|(prefix, before)| {
        path.strip_prefix(prefix)
            .map(|rest| (*prefix, rest, *before))
    }) else {
        return path.into();
    };
    let masked: Vec<&str> = rest
        .split('/')
        .enumerate()
        .map(|(i, segment)| match i {
            i if i == before && !segment.is_empty() => "…",
            _ => segment,
        })
        .collect();
    format!("{prefix}{}", masked.join("/")).into()
}

/// Gives each request an id (kept from `X-Request-Id` when the caller sent a sane one), a tracing
/// span carrying it, and echoes it in the response.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = incoming_or_new_id(&req);
    let path = loggable_path(req.path());
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %path);
    let mut response = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span.clone()))
        .await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    let _entered = span.enter();
    let status = response.status().as_u16();
    if status >= 500 {
        tracing::warn!(status, "request failed");
    } else {
        tracing::debug!(status, "request served");
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn link_secrets_stay_out_of_logs() {
        assert_eq!(loggable_path("/p/abc.def"), "/p/…");
        assert_eq!(loggable_path("/p/abc.def/confirm"), "/p/…/confirm");
        assert_eq!(loggable_path("/p/abc.def/change"), "/p/…/change");
        assert_eq!(loggable_path("/unsubscribe/42/tok3n"), "/unsubscribe/42/…");
        assert_eq!(loggable_path("/s/Xy12"), "/s/…");
        assert_eq!(loggable_path("/calls/42"), "/calls/42");
        assert_eq!(loggable_path("/support"), "/support");
        assert_eq!(loggable_path("/p/"), "/p/");
    }
}
