//! A mail catcher: a real SMTP server on a local port that keeps what it receives instead of
//! delivering it — enough of RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
//! The integration tests and the benchmarks send real mail to it over TCP.

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
};

#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("bind SMTP"))
    }

    /// Starts on a given listener (to bring a "down" server back on the same port).
    pub fn start_on(listener: TcpListener) -> SmtpSink {
        Self::serve_on(listener, Arc::new(|_: &Received| {}))
    }

    /// Starts a relay that runs `on_message` for each message it receives, before it answers
    /// that it took it: a slow relay, during which the test changes what the sender will find.
    pub fn start_with(on_message: impl Fn(&Received) + Send + Sync + 'static) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        Self::serve_on(listener, Arc::new(on_message))
    }

    fn serve_on(listener: TcpListener, on_message: Arc<OnMessage>) -> SmtpSink {
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (store, on_message) = (store.clone(), on_message.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &store, &*on_message);
                });
            }
        });
        SmtpSink { port, messages }
    }

    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }
}

type OnMessage = dyn Fn(&Received) + Send + Sync;

fn serve(
    stream: TcpStream,
    store: &Mutex<Vec<Received>>,
    on_message: &OnMessage,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 test.local ESMTP\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_string();
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(
                command[8..]
                    .trim()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_string(),
            );
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "DATA" {
            out.write_all(b"354 End with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            let received = Received {
                from: from.clone(),
                to: to.clone(),
                data,
            };
            on_message(&received);
            store.lock().unwrap().push(received);
            out.write_all(b"250 OK queued\r\n")?;
        } else if upper == "RSET" {
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 Not implemented\r\n")?;
        }
    }
}

/// A received message's parts, decoded: (content type, text).
pub fn decoded_parts(data: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let mut parts = Vec::new();
    for chunk in data.split("\r\nContent-Type: ").skip(1) {
        let (headers, body) = chunk.split_once("\r\n\r\n").unwrap_or((chunk, ""));
        let content_type = headers
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        if content_type.starts_with("multipart/") {
            continue;
        }
        let body = body.split("\r\n--").next().unwrap_or_default();
        let text = if headers.contains("Content-Transfer-Encoding: base64") {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap_or_default(),
            )
            .unwrap_or_default()
        } else if headers.contains("Content-Transfer-Encoding: quoted-printable") {
            let mut bytes = Vec::new();
            let joined = body.replace("=\r\n", "");
            let raw = joined.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'=' && i + 2 < raw.len() {
                    if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                        bytes.push(byte);
                        i += 3;
                        continue;
                    }
                }
                bytes.push(raw[i]);
                i += 1;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            body.to_string()
        };
        parts.push((content_type, text));
    }
    parts
}
