//! Private cookies: encrypted and authenticated (AES-256-GCM) with the configured key, so their
//! content can be neither read nor forged by the browser.

use actix_web::{
    cookie::{time::Duration, Cookie, CookieJar, Key, SameSite},
    HttpRequest,
};

/// A cookie's name. Where cookies are `Secure` (production), it carries the `__Host-` prefix:
/// browsers then take it only from this host over HTTPS, with no `Domain`, so a sibling
/// subdomain or a plain-HTTP page cannot plant one (a planted form cookie would pair with a
/// token the planter knows). Without HTTPS (development, tests) the prefix cannot be used.
#[derive(Clone, Copy, Debug)]
pub struct CookieName {
    pub plain: &'static str,
    pub host_only: &'static str,
}

impl CookieName {
    pub fn get(self, secure: bool) -> &'static str {
        if secure {
            self.host_only
        } else {
            self.plain
        }
    }
}

pub fn read_private(req: &HttpRequest, key: &Key, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.private(key).get(name).map(|c| c.value().to_string())
}

pub fn private_cookie(
    key: &Key,
    name: &'static str,
    value: String,
    secure: bool,
    same_site: SameSite,
) -> Cookie<'static> {
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(same_site)
            .finish(),
    );
    jar.get(name)
        .cloned()
        .expect("a cookie just added to the jar is in it")
}

pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    Cookie::build(name, "")
        .path("/")
        .secure(secure)
        .max_age(Duration::ZERO)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: CookieName = CookieName {
        plain: "outreach_test",
        host_only: "__Host-outreach_test",
    };

    #[test]
    fn secure_cookies_are_host_only_and_meet_the_prefixs_terms() {
        let key = Key::generate();
        let name = NAME.get(true);
        assert_eq!(name, "__Host-outreach_test");
        let cookie = private_cookie(&key, name, "v".into(), true, SameSite::Lax);
        // What browsers require of a `__Host-` cookie, or they drop it.
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.domain(), None);
        let removal = removal(name, true);
        assert_eq!((removal.secure(), removal.path()), (Some(true), Some("/")));
        assert_eq!(NAME.get(false), "outreach_test");
    }
}
