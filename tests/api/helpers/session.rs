//! A browser-like HTTP session: its own cookies, no automatic redirects, and forms posted with
//! the CSRF token a page gave it.

use reqwest::{redirect::Policy, Client, Response};

pub struct Session {
    pub client: Client,
    base: String,
}

/// The value of the first `name="csrf_token"` hidden field on a page.
pub fn csrf_token_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl Session {
    pub fn new(base: &str) -> Self {
        Session {
            client: Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("http client"),
            base: base.to_string(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// The CSRF token this session's cookie matches (read from the login page, which anyone may open).
    pub async fn csrf_token(&self) -> String {
        let (_, html) = self.get_text("/login").await;
        csrf_token_in(&html).expect("the login page carries a CSRF token")
    }

    /// Posts a form with a valid CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.post_raw_form(path, &form).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
