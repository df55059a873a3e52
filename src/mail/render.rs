//! Rendering an e-mail from its template folder: `templates/emails/<kind>/` holds
//! `subject.txt`, `body.txt` and `body.html` (only the HTML is autoescaped).

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// For customer mail: where a mail program's own "unsubscribe" button posts (RFC 8058).
    pub one_click_unsubscribe: Option<String>,
}

pub fn render(templates: &tera::Tera, kind: &str, context: &tera::Context) -> AppResult<Rendered> {
    let part = |name: &str| {
        templates
            .render(&format!("emails/{kind}/{name}"), context)
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!("rendering e-mail {kind}/{name}: {e:?}"))
            })
    };
    Ok(Rendered {
        subject: part("subject.txt")?.trim().to_string(),
        text: part("body.txt")?,
        html: part("body.html")?,
        one_click_unsubscribe: None,
    })
}
