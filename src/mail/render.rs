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

/// The parts every e-mail kind's folder holds, in the order [`render`] reads them.
pub const PARTS: [&str; 3] = ["subject.txt", "body.txt", "body.html"];

/// The template of one part of an e-mail kind.
pub fn template_name(kind: &str, part: &str) -> String {
    format!("emails/{kind}/{part}")
}

pub fn render(templates: &tera::Tera, kind: &str, context: &tera::Context) -> AppResult<Rendered> {
    let [subject, text, html] = PARTS;
    let part = |name: &str| {
        templates
            .render(&template_name(kind, name), context)
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!("rendering e-mail {kind}/{name}: {e:?}"))
            })
    };
    Ok(Rendered {
        subject: part(subject)?.trim().to_string(),
        text: part(text)?,
        html: part(html)?,
        one_click_unsubscribe: None,
    })
}
