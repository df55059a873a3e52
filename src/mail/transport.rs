//! Where mail goes: an SMTP relay (pooled connections, STARTTLS or TLS), or in development
//! `.eml` files under the data directory.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use lettre::{
    message::{
        header::{ContentType, HeaderName, HeaderValue},
        Mailbox, MultiPart, SinglePart,
    },
    transport::smtp::{authentication::Credentials, PoolConfig},
    FileTransport, Message, SmtpTransport, Transport as _,
};

use super::render::Rendered;
use crate::config::{Config, SmtpTls};

/// How long one SMTP step (connecting, a command, a write) may take before the send fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest one send can take: a connection, its greeting and TLS, then about a dozen
/// commands and writes, each bounded by [`COMMAND_TIMEOUT`].
pub const LONGEST_SEND: Duration = Duration::from_secs(15 * COMMAND_TIMEOUT.as_secs());

pub enum Transport {
    Smtp(Box<SmtpTransport>),
    File(FileTransport, PathBuf),
}

impl Transport {
    pub fn from_config(config: &Config) -> anyhow::Result<Transport> {
        match &config.smtp {
            Some(smtp) => {
                let builder = match smtp.tls {
                    SmtpTls::None => SmtpTransport::builder_dangerous(&smtp.host),
                    SmtpTls::StartTls => {
                        SmtpTransport::starttls_relay(&smtp.host).context("SMTP STARTTLS setup")?
                    }
                    SmtpTls::Tls => SmtpTransport::relay(&smtp.host).context("SMTP TLS setup")?,
                };
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(COMMAND_TIMEOUT))
                    .pool_config(PoolConfig::new().max_size(super::worker::PARALLEL_SENDS as u32));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Transport::Smtp(Box::new(builder.build())))
            }
            None if config.is_production() => anyhow::bail!("production needs an SMTP relay"),
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Ok(Transport::File(FileTransport::new(&dir), dir))
            }
        }
    }

    /// Sends one message; the error text is kept on the outbox row for supervisors.
    pub fn send(
        &self,
        from: &str,
        to: &str,
        message_id: &str,
        mail: &Rendered,
    ) -> Result<(), String> {
        let from: Mailbox = from.parse().map_err(|e| format!("bad From address: {e}"))?;
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("bad recipient address: {e}"))?;
        let mut message = Message::builder()
            .from(from)
            .to(to)
            .message_id(Some(message_id.to_string()))
            .subject(mail.subject.clone());
        if let Some(url) = &mail.one_click_unsubscribe {
            message = message
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let message = message
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(mail.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(mail.html.clone()),
                    ),
            )
            .map_err(|e| format!("building the message: {e}"))?;
        match self {
            Transport::Smtp(smtp) => smtp
                .send(&message)
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
            Transport::File(file, _) => file
                .send(&message)
                .map(|_| ())
                .map_err(|e| format!("writing the file: {e}")),
        }
    }
}
