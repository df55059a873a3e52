//! Private cookies: encrypted and authenticated (AES-256-GCM) with the configured key, so their
//! content can be neither read nor forged by the browser.

use actix_web::{
    cookie::{time::Duration, Cookie, CookieJar, Key, SameSite},
    HttpRequest,
};

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

pub fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build(name, "")
        .path("/")
        .max_age(Duration::ZERO)
        .finish()
}
