//! Whether the SMTP relay the e-mail role is configured with answers. Asked when a user turns
//! e-mail on, so that a server without a relay says so at once, instead of every e-mail to
//! that user failing later (after the SMTP timeout, each time).
//!
//! It must not send mail or speak SMTP: it only opens a TCP connection and closes it.

use std::time::Duration;

use tokio::net::TcpStream;

/// How long the relay has to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The configured relay (`smtp.host`, `smtp.port`).
#[derive(Debug, Clone)]
pub struct SmtpRelay {
    /// `host:port`.
    address: String,
}

impl SmtpRelay {
    /// The relay at `host`:`port`.
    pub fn new(host: &str, port: u16) -> Self {
        Self {
            address: format!("{host}:{port}"),
        }
    }

    /// `None` when the relay accepts a TCP connection within [`CONNECT_TIMEOUT`]; else what a
    /// user should know, in words.
    pub async fn unreachable(&self) -> Option<String> {
        let why =
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.address)).await {
                Ok(Ok(_)) => return None,
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            };
        Some(format!(
            "this server's SMTP relay ({}) does not answer ({why}): e-mail to you will fail \
             until it does; tell the server's operator",
            self.address
        ))
    }
}
