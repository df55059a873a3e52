//! Headers every response carries, telling browsers what the pages may do.

use actix_web::{http::header, middleware::DefaultHeaders};

/// Scripts, styles and forms come from this service only (its pages have no inline script or
/// style), and no other site may frame a page: the risk-to-life button or a customer's "confirm
/// my plan" cannot be overlaid by a page made to trick a click.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// `secure`: the service is reached over HTTPS (`OUTREACH_SECURE_COOKIES`), so browsers are told
/// to use nothing else for a year.
///
/// No referrer leaves a page: a customer's page is addressed by its link's token, and the support
/// organisations it links to would otherwise be sent that address.
pub fn security_headers(secure: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"));
    if secure {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}
