//! The e-mail channel: turns one notification into one plain-text mail and hands it to the
//! configured SMTP server (lettre, rustls), then says what came of it as an [`Attempt`].
//!
//! Each mail gets its own connection, bounded as a whole by `smtp.timeout_ms`. lettre's pooled
//! `AsyncSmtpTransport` is not used on purpose: its timeout only covers the TCP connect, and a
//! send cancelled by an outer timeout hands its half-finished session back to the pool, where the
//! next mail would read the previous one's replies (and could take a stale 5xx as permanent).
//!
//! It must not decide about retries or record events (the consumer loop and the dispatcher do),
//! must never put a header value containing CR or LF on the wire, and must not log the SMTP
//! password or put the recipient's address into a detail (the sender reads details).

use std::error::Error as _;
use std::time::Duration;

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use notify_shared::api::Priority;
use notify_shared::event::NotificationRequested;
use notify_shared::text;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::attempt::{Attempt, lowercase_first};
use crate::config::{SmtpConfig, SmtpTls};

/// Widest subject, in columns (RFC 5322's recommended line length).
const SUBJECT_CHARS: usize = 78;
/// Longest detail kept from an SMTP reply, in characters: details are for people, not logs.
const DETAIL_CHARS: usize = 200;
/// How long to wait for the reply to QUIT once the mail is accepted; it changes nothing.
const QUIT_WAIT: Duration = Duration::from_secs(2);

/// Why a [`Mailer`] cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// `smtp.from` is not a mailbox such as `notify <notify@example.com>`.
    #[error(
        "smtp.from {from:?} is not a valid address (expected e.g. \"notify <notify@example.com>\"): {reason}"
    )]
    From {
        /// The configured value.
        from: String,
        /// What the parser said.
        reason: String,
    },
    /// A password is configured but no username to go with it.
    #[error("smtp.password is set but smtp.username is not")]
    PasswordWithoutUsername,
    /// The TLS parameters for `smtp.host` could not be built.
    #[error("cannot set up tls for smtp.host {host:?}: {source}")]
    Tls {
        /// The configured host.
        host: String,
        /// What lettre said.
        source: SmtpError,
    },
}

/// Sends notification e-mails through one SMTP server, one connection per mail.
#[derive(Clone)]
pub struct Mailer {
    /// SMTP server host.
    host: String,
    /// SMTP server port.
    port: u16,
    /// The configured transport security.
    tls: SmtpTls,
    /// Certificate checks for `host`, unless `tls` is `None`.
    tls_parameters: Option<TlsParameters>,
    /// The name given in EHLO (this machine's host name).
    hello: ClientId,
    /// For SMTP AUTH, when a username is configured.
    credentials: Option<Credentials>,
    /// The From of every mail, parsed once.
    from: Mailbox,
    /// `host:port`, for details.
    server: String,
    /// Bound on one whole exchange, connect to the reply after the data.
    timeout: Duration,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // lettre's TLS parameters have no Debug; credentials are reduced to their presence.
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("tls", &self.tls)
            .field("auth", &self.credentials.is_some())
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One e-mail to send.
#[derive(Debug, Clone, Copy)]
pub struct Mail<'a> {
    /// The delivery id: used as the Message-ID local part (`<delivery-id@notify>`) so a resent
    /// mail is recognisable.
    pub delivery_id: Uuid,
    /// The notification id (an `X-Notify-Notification` header).
    pub notification_id: Uuid,
    /// The recipient's address, as stored in their preferences.
    pub to: &'a str,
    /// What to say.
    pub notification: &'a NotificationRequested,
}

impl Mailer {
    /// A mailer for `config`; checks the From address now so a typo fails at start, not on the
    /// first mail.
    pub fn new(config: &SmtpConfig) -> Result<Self, MailerError> {
        let bad_from = |reason: String| MailerError::From {
            from: config.from.clone(),
            reason,
        };
        if has_line_break(&config.from) {
            return Err(bad_from("it contains a line break".into()));
        }
        let from: Mailbox = config.from.parse().map_err(|e| bad_from(format!("{e}")))?;

        let tls_parameters = match config.tls {
            SmtpTls::None => None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                Some(TlsParameters::new(config.host.clone()).map_err(|source| {
                    MailerError::Tls {
                        host: config.host.clone(),
                        source,
                    }
                })?)
            }
        };
        let credentials = match (&config.username, &config.password) {
            (Some(user), password) => {
                let password = password.as_ref().map(|p| p.expose_secret().to_owned());
                Some(Credentials::new(user.clone(), password.unwrap_or_default()))
            }
            (None, Some(_)) => return Err(MailerError::PasswordWithoutUsername),
            (None, None) => None,
        };
        let server = if config.host.contains(':') {
            format!("[{}]:{}", config.host, config.port)
        } else {
            format!("{}:{}", config.host, config.port)
        };
        Ok(Self {
            host: config.host.clone(),
            port: config.port,
            tls: config.tls,
            tls_parameters,
            hello: ClientId::default(),
            credentials,
            from,
            server,
            timeout: Duration::from_millis(config.timeout_ms),
        })
    }

    /// Sends one mail and classifies the outcome; never panics and never retries.
    #[tracing::instrument(level = "debug", skip_all, fields(delivery = %mail.delivery_id))]
    pub async fn send(&self, mail: &Mail<'_>) -> Attempt {
        let message = match self.message(mail) {
            Ok(message) => message,
            Err(refused) => return refused,
        };
        // lettre's own timeout only bounds the TCP connect: a server that accepts and then stays
        // silent would hold the worker forever, so the whole exchange is bounded here. Timing
        // out drops the connection, which closes it; nothing else holds on to it.
        let outcome = tokio::time::timeout(self.timeout, self.transaction(&message)).await;
        let attempt = match outcome {
            Ok(Ok((response, mut connection))) => {
                // Outside the bound above: the mail is accepted whatever QUIT comes to.
                let _ = tokio::time::timeout(QUIT_WAIT, connection.quit()).await;
                Attempt::delivered(reply_detail(&response))
            }
            Ok(Err(error)) => failure(&error, &self.server),
            Err(_) => Attempt::transient(format!(
                "smtp {} did not answer within {} ms",
                self.server,
                self.timeout.as_millis()
            )),
        };
        tracing::debug!(?attempt, "smtp attempt");
        attempt
    }

    /// Connects, secures, authenticates and sends; returns the reply to the data and the
    /// connection, still open, so that QUIT is not part of the timed exchange.
    async fn transaction(
        &self,
        message: &Message,
    ) -> Result<(Response, AsyncSmtpConnection), SmtpError> {
        let implicit_tls = match self.tls {
            SmtpTls::Tls => self.tls_parameters.clone(),
            SmtpTls::None | SmtpTls::Starttls => None,
        };
        let address = (self.host.as_str(), self.port);
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            address,
            Some(self.timeout),
            &self.hello,
            implicit_tls,
            None,
        )
        .await?;
        if let (SmtpTls::Starttls, Some(parameters)) = (self.tls, &self.tls_parameters) {
            // Required, not opportunistic: lettre fails when the server does not offer it.
            connection.starttls(parameters.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        let response = connection
            .send(message.envelope(), &message.formatted())
            .await?;
        Ok((response, connection))
    }

    /// Builds the mail without sending it; `Err` is the (permanent) failure to report instead.
    fn message(&self, mail: &Mail<'_>) -> Result<Message, Attempt> {
        let notification = mail.notification;
        let subject = subject(notification);
        // Defence in depth: the api rejects such titles, and lettre encodes headers, but a header
        // with a line break must never reach a server in any form.
        if has_line_break(&subject) || has_line_break(mail.to) {
            return Err(Attempt::permanent("header contains a line break"));
        }
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| Attempt::permanent("invalid recipient address"))?;

        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@notify>", mail.delivery_id)))
            .raw_header(header(
                "X-Notify-Notification",
                mail.notification_id.to_string(),
            ))
            .raw_header(header(
                "X-Notify-Priority",
                priority_name(notification.priority).into(),
            ));
        if matches!(notification.priority, Priority::High | Priority::Urgent) {
            // Both spellings: Outlook reads `Importance`, most other clients `X-Priority`.
            builder = builder
                .raw_header(header("Importance", "high".into()))
                .raw_header(header("X-Priority", "1".into()));
        }
        // `SinglePart::plain` adds MIME-Version and `text/plain; charset=utf-8` and picks 7bit,
        // quoted-printable or base64; a bare `body()` would add neither header.
        builder
            .singlepart(SinglePart::plain(text(notification)))
            .map_err(|e| Attempt::permanent(format!("cannot build the mail: {e}")))
    }
}

/// The subject: the headline (the title, else the first non-blank line of the body, cleaned by
/// the rule every surface uses) cut to 78 columns.
fn subject(notification: &NotificationRequested) -> String {
    let headline = text::headline(notification.title.as_deref(), &notification.body);
    if headline.is_empty() {
        "(no subject)".to_owned()
    } else {
        text::truncate(&headline, SUBJECT_CHARS)
    }
}

/// The text of the mail: the body, a blank line, then who sent it and the tags.
fn text(notification: &NotificationRequested) -> String {
    let mut text = notification.body.trim_end().to_owned();
    text.push_str(&format!(
        "\n\n— sent by {} via notify\n",
        notification.sender
    ));
    if !notification.tags.is_empty() {
        text.push_str(&format!("tags: {}\n", notification.tags.join(", ")));
    }
    text
}

/// The priority as the api spells it.
fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

fn has_line_break(value: &str) -> bool {
    value.contains(['\r', '\n'])
}

/// "250 2.0.0 Ok: queued as X" from the server's final reply.
fn reply_detail(response: &Response) -> String {
    let text: Vec<&str> = response.message().collect();
    clip(format!("{} {}", response.code(), text.join(" ")).trim_end())
}

/// Classifies a lettre error: only a 5xx reply is permanent; 4xx, connection, TLS and network
/// errors may pass.
fn failure(error: &SmtpError, server: &str) -> Attempt {
    if let Some(code) = error.status() {
        // For a reply, lettre's source is the server's text with the code stripped.
        let text = error.source().map(ToString::to_string).unwrap_or_default();
        let detail = clip(format!("smtp {code} {text}").trim_end());
        return if error.is_permanent() {
            Attempt::permanent(detail)
        } else {
            Attempt::transient(detail)
        };
    }
    let cause = root_cause(error);
    // lettre has no `is_connection()`; its Display is the only place the kind shows.
    if error.to_string().starts_with("Connection error") {
        Attempt::transient(format!("cannot connect to {server}: {cause}"))
    } else {
        Attempt::transient(clip(&format!("smtp {server}: {cause}")))
    }
}

/// The innermost cause, worded for people: io errors by kind, others lowercase-led.
fn root_cause(error: &SmtpError) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        if let Some(io) = next.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            let text = match io.kind() {
                ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                ErrorKind::TimedOut => "timed out".to_owned(),
                ErrorKind::ConnectionReset => "connection reset".to_owned(),
                ErrorKind::UnexpectedEof => "connection closed by the server".to_owned(),
                _ => match io.get_ref() {
                    // tokio-rustls wraps certificate errors in io errors; the inner one says more.
                    Some(inner) => lowercase_first(&inner.to_string()),
                    None => lowercase_first(&io.to_string()),
                },
            };
            return text;
        }
        source = next;
    }
    lowercase_first(&source.to_string())
}

fn clip(text: &str) -> String {
    if text.chars().count() <= DETAIL_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(DETAIL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener as StdListener;
    use std::path::PathBuf;
    use std::process::Stdio;

    use notify_shared::UserId;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    fn notification(title: Option<&str>, body: &str, priority: Priority) -> NotificationRequested {
        NotificationRequested {
            sender: UserId::parse("bob").expect("valid"),
            recipient: UserId::parse("alice").expect("valid"),
            title: title.map(Into::into),
            body: body.into(),
            priority,
            tags: vec!["ci".into(), "deploy".into()],
            channels: vec![],
            thread: None,
            deliver_at: None,
            cause: None,
        }
    }

    fn config(port: u16, timeout_ms: u64) -> SmtpConfig {
        SmtpConfig {
            port,
            timeout_ms,
            ..SmtpConfig::default()
        }
    }

    fn mailer(port: u16) -> Mailer {
        Mailer::new(&config(port, 5_000)).expect("valid config")
    }

    fn mail<'a>(to: &'a str, notification: &'a NotificationRequested) -> Mail<'a> {
        Mail {
            delivery_id: Uuid::now_v7(),
            notification_id: Uuid::now_v7(),
            to,
            notification,
        }
    }

    fn free_port() -> u16 {
        let listener = StdListener::bind("127.0.0.1:0").expect("binds");
        listener.local_addr().expect("has an address").port()
    }

    #[test]
    fn subject_is_the_title_else_the_first_body_line_cut_to_78() {
        let subject_of = |title, body: &str| subject(&notification(title, body, Priority::Normal));
        assert_eq!(subject_of(Some("Deploy"), "finished\nok"), "Deploy");
        assert_eq!(subject_of(Some("  "), "finished"), "finished");
        assert_eq!(subject_of(None, "\r\n  finished  \r\nok"), "finished");
        let cut = subject_of(None, &"é".repeat(100));
        assert_eq!(cut.chars().count(), 78);
        assert!(cut.ends_with('…'));
        assert_eq!(subject_of(None, &"x".repeat(78)), "x".repeat(78));
    }

    #[test]
    fn text_ends_with_a_footer_naming_sender_and_tags() {
        let mut n = notification(None, "finished\n", Priority::Normal);
        assert_eq!(
            text(&n),
            "finished\n\n— sent by bob via notify\ntags: ci, deploy\n"
        );
        n.tags.clear();
        assert_eq!(text(&n), "finished\n\n— sent by bob via notify\n");
    }

    #[test]
    fn headers_with_line_breaks_are_never_sent() {
        let refused = Attempt::permanent("header contains a line break");
        let injected = notification(
            Some("Deploy\r\nBcc: eve@example.com"),
            "b",
            Priority::Normal,
        );
        let plain = notification(None, "b", Priority::Normal);
        let mailer = mailer(25);
        // A line break in a title (the api refuses one anyway) is a blank in the subject.
        let to = "alice@example.com";
        let message = mailer.message(&mail(to, &injected)).expect("a message");
        let headers = String::from_utf8_lossy(&message.formatted()).to_string();
        assert!(
            headers.contains("Subject: Deploy  Bcc: eve@example.com\r\n")
                && !headers.contains("\r\nBcc:"),
            "{headers}"
        );
        let to = "alice@example.com\nBcc: eve@example.com";
        assert_eq!(mailer.message(&mail(to, &plain)).unwrap_err(), refused);
        let from = "notify <notify@localhost>\r\nBcc: eve@example.com".to_owned();
        let err = Mailer::new(&SmtpConfig {
            from,
            ..SmtpConfig::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("line break"), "{err}");
    }

    #[test]
    fn bad_addresses_are_refused() {
        let n = notification(None, "b", Priority::Normal);
        let refused = mailer(25).message(&mail("not an address", &n)).unwrap_err();
        assert_eq!(refused, Attempt::permanent("invalid recipient address"));
        let from = "notify at localhost".to_owned();
        let err = Mailer::new(&SmtpConfig {
            from,
            ..SmtpConfig::default()
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("smtp.from \"notify at localhost\" is not"),
            "{err}"
        );
    }

    #[test]
    fn message_carries_ids_and_priority() {
        let urgent = notification(Some("Deploy"), "finished", Priority::Urgent);
        let mail = mail("Alice <alice@example.com>", &urgent);
        let message = mailer(25).message(&mail).expect("builds");
        let headers = message.headers();
        let message_id = format!("<{}@notify>", mail.delivery_id);
        assert_eq!(headers.get_raw("Message-ID"), Some(message_id.as_str()));
        let notification_id = mail.notification_id.to_string();
        assert_eq!(
            headers.get_raw("X-Notify-Notification"),
            Some(notification_id.as_str())
        );
        assert_eq!(headers.get_raw("X-Notify-Priority"), Some("urgent"));
        assert_eq!(headers.get_raw("Importance"), Some("high"));
        assert_eq!(headers.get_raw("X-Priority"), Some("1"));
        let formatted = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(formatted.contains("Subject: Deploy\r\n"), "{formatted}");
        assert!(
            formatted.contains("Content-Type: text/plain; charset=utf-8\r\n"),
            "{formatted}"
        );
        assert!(formatted.contains("MIME-Version: 1.0\r\n"), "{formatted}");

        let normal = notification(None, "finished", Priority::Normal);
        let message = mailer(25)
            .message(&self::mail("alice@example.com", &normal))
            .expect("builds");
        assert_eq!(message.headers().get_raw("Importance"), None);
        assert_eq!(message.headers().get_raw("X-Priority"), None);
    }

    /// Serves one SMTP session on a free port: greets, says yes to everything except RCPT.
    async fn scripted_server(rcpt_reply: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("has an address").port();
        tokio::spawn(async move {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            let _ = write.write_all(b"220 fake ESMTP\r\n").await;
            while let Ok(Some(line)) = lines.next_line().await {
                let verb = line
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                let reply = match verb.as_str() {
                    "RCPT" => rcpt_reply,
                    "QUIT" => "221 bye",
                    _ => "250 fake",
                };
                let _ = write.write_all(format!("{reply}\r\n").as_bytes()).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn smtp_replies_are_classified_by_code() {
        let n = notification(None, "hello", Priority::Normal);
        let port = scripted_server("550 5.1.1 no such user").await;
        let attempt = mailer(port).send(&mail("alice@example.com", &n)).await;
        assert_eq!(attempt, Attempt::permanent("smtp 550 5.1.1 no such user"));
        let port = scripted_server("451 4.3.0 try again later").await;
        let attempt = mailer(port).send(&mail("alice@example.com", &n)).await;
        assert_eq!(
            attempt,
            Attempt::transient("smtp 451 4.3.0 try again later")
        );
    }

    #[tokio::test]
    async fn tls_modes_refuse_a_plain_server() {
        let n = notification(None, "hello", Priority::Normal);
        let port = scripted_server("250 would have sent").await;
        let starttls = SmtpConfig {
            tls: SmtpTls::Starttls,
            ..config(port, 5_000)
        };
        let attempt = Mailer::new(&starttls)
            .expect("valid")
            .send(&mail("a@example.com", &n))
            .await;
        let detail = format!("smtp 127.0.0.1:{port}: STARTTLS is not supported on this server");
        assert_eq!(attempt, Attempt::transient(detail));

        let port = scripted_server("250 would have sent").await;
        let tls = SmtpConfig {
            tls: SmtpTls::Tls,
            ..config(port, 5_000)
        };
        let attempt = Mailer::new(&tls)
            .expect("valid")
            .send(&mail("a@example.com", &n))
            .await;
        let prefix = format!("cannot connect to 127.0.0.1:{port}: ");
        assert!(
            !attempt.is_permanent() && attempt.detail().starts_with(&prefix),
            "{attempt:?}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_not_permanent() {
        let port = free_port();
        let n = notification(None, "hello", Priority::Normal);
        let attempt = mailer(port).send(&mail("alice@example.com", &n)).await;
        let detail = format!("cannot connect to 127.0.0.1:{port}: connection refused");
        assert_eq!(attempt, Attempt::transient(detail));
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("has an address").port();
        tokio::spawn(async move {
            // Accept and never greet, holding the connection open.
            let held = listener.accept().await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(held);
        });
        let mailer = Mailer::new(&config(port, 300)).expect("valid config");
        let n = notification(None, "hello", Priority::Normal);
        let attempt = mailer.send(&mail("alice@example.com", &n)).await;
        let detail = format!("smtp 127.0.0.1:{port} did not answer within 300 ms");
        assert_eq!(attempt, Attempt::transient(detail));
    }

    /// Removes the Maildir when the test ends, passed or not.
    struct TempDir(PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Sends through aiosmtpd (Debian's python3-aiosmtpd) and reads the mail from its Maildir.
    #[tokio::test]
    async fn delivers_to_a_real_smtp_server() {
        let python = "/usr/bin/python3";
        let importable = std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|out| out.status.success());
        if !importable {
            eprintln!(
                "skipped: {python} cannot import aiosmtpd (apt-get install python3-aiosmtpd)"
            );
            return;
        }
        let dir = TempDir(std::env::temp_dir().join(format!("notify-maildir-{}", Uuid::now_v7())));
        let port = free_port();
        let mut server = tokio::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir.0)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts");
        let mut up = false;
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "aiosmtpd did not listen on {port} within 10 s");

        let n = notification(Some("Deploy finished"), "all green", Priority::High);
        let mail = mail("alice@example.com", &n);
        let attempt = mailer(port).send(&mail).await;
        assert!(
            attempt.is_delivered() && attempt.detail().starts_with("250 "),
            "{attempt:?}"
        );

        let files: Vec<_> = std::fs::read_dir(dir.0.join("new"))
            .expect("maildir")
            .collect();
        assert_eq!(files.len(), 1);
        let path = files[0].as_ref().expect("entry").path();
        let stored = std::fs::read_to_string(path).expect("readable");
        for expected in [
            "Subject: Deploy finished".to_owned(),
            format!("Message-ID: <{}@notify>", mail.delivery_id),
            format!("X-Notify-Notification: {}", mail.notification_id),
            "X-Priority: 1".to_owned(),
            "all green".to_owned(),
            "sent by bob via notify".to_owned(),
        ] {
            assert!(stored.contains(&expected), "{expected:?} not in\n{stored}");
        }
        let _ = server.kill().await;
    }
}
