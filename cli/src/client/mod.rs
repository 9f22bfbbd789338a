//! The HTTP client of the notify api: base URL, bearer auth, retries with the same
//! idempotency key, problem documents, and the classification of failures into [`Error`]s.
//!
//! It knows HTTP and nothing about terminals: it never prints except `-v` notes on stderr.
//! Only commands that are safe to repeat are retried: GETs, and POSTs and PUTs that carry an
//! `Idempotency-Key` (the server answers a repeat with the first answer).

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify_shared::api::{IDEMPOTENCY_KEY, Me, SendRequest, SendResponse};
use notify_shared::config::{ClientConfig, ConfigError, Token};
use notify_shared::problem::{self, Problem};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::Error;
use crate::output::note;

mod routes;

pub use routes::{ALREADY_DISPATCHED, Mark};

/// How long to wait for a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long to wait for a whole answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `Retry-After` we honour; a longer one is the server asking us to give up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How often and how patiently to retry a request that may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub first_delay: Duration,
}

impl Retry {
    /// For commands: 4 attempts, waiting 250 ms, 500 ms, 1 s between them (plus jitter).
    pub const COMMAND: Self = Self {
        attempts: 4,
        first_delay: Duration::from_millis(250),
    };
    /// One attempt, for diagnostics that should answer quickly.
    pub const ONCE: Self = Self {
        attempts: 1,
        first_delay: Duration::ZERO,
    };

    /// The wait after failed attempt number `attempt` (1-based), before jitter: the backoff,
    /// or the server's `Retry-After` when that is longer (capped at 5 s).
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self
            .first_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        backoff.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER))
    }
}

/// Whether a request answered with `status` may succeed if repeated with the same key: the
/// same key still in flight (409), the user's rate limit (429, after its `Retry-After`), or a
/// gateway or service that is briefly down.
pub fn retryable(status: u16) -> bool {
    matches!(status, 409 | 429 | 502 | 503 | 504)
}

/// Turns an error answer into an [`Error`]: 401 is a configuration problem, other 4xx are
/// refusals of the operation, 5xx are failures of the service.
pub fn classify(status: u16, problem: Option<Problem>, server: &str, config_path: &Path) -> Error {
    let problem = Box::new(problem.unwrap_or_else(|| {
        let title = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        Problem::new(status, "http", title)
            .with_detail(format!("HTTP {status} without a problem document"))
    }));
    match status {
        401 => Error::BadToken {
            path: config_path.to_owned(),
        },
        400..=499 => Error::Refused { problem },
        500..=599 => Error::ServerFailed {
            server: server.to_owned(),
            problem,
        },
        _ => Error::BadResponse {
            server: server.to_owned(),
            what: format!("HTTP {status}"),
        },
    }
}

/// A client of one notify server, authenticated with one token.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    server: String,
    token: Token,
    config_path: PathBuf,
    retry: Retry,
    verbose: bool,
}

/// What became of one attempt.
enum Attempt<T> {
    Done(T),
    /// Worth repeating, after at least the server's `Retry-After` if it sent one.
    Again(Error, Option<Duration>),
    Fail(Error),
}

impl Client {
    /// A client for the configured server and token; [`Error::NoToken`] without a token.
    pub fn new(config: &ClientConfig, verbose: bool) -> Result<Self, Error> {
        let token = config.token.clone().ok_or_else(|| Error::NoToken {
            path: config.path.clone(),
        })?;
        // Checked here so a stray space or newline is a config error, not a failed request.
        if token.expose().is_empty() || !token.expose().bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::MalformedToken {
                path: config.path.clone(),
            });
        }
        if reqwest::Url::parse(&config.server).is_err() {
            return Err(ConfigError::BadServer(config.server.clone(), config.server_source).into());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // A redirect would replay a POST as a GET; an api that moved is a config problem.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::Internal(format!("cannot set up the http client: {}", reason(&e)))
            })?;
        Ok(Self {
            http,
            server: config.server.clone(),
            token,
            config_path: config.path.clone(),
            retry: Retry::COMMAND,
            verbose,
        })
    }

    /// Uses `retry` for commands instead of [`Retry::COMMAND`].
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `GET /v1/me`: who the token belongs to. Tried once.
    pub async fn me(&self) -> Result<Me, Error> {
        self.call(Method::GET, "/v1/me", None, None, Retry::ONCE)
            .await
    }

    /// `POST /v1/notifications` with `operation` as the idempotency key. Every retry sends the
    /// same key and the same bytes, so the server stores the send at most once.
    pub async fn send(
        &self,
        operation: Uuid,
        request: &SendRequest,
    ) -> Result<SendResponse, Error> {
        self.command_with(Method::POST, "/v1/notifications", operation, request)
            .await
    }

    /// `GET path` with `query` as its query string, retried like a command: a GET is safe to
    /// repeat.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &(impl Serialize + ?Sized),
    ) -> Result<T, Error> {
        // reqwest already knows how to encode a serializable query; borrow that rather than
        // depend on an encoder of our own. Building a request sends nothing.
        let url = self
            .http
            .get(format!("{}{path}", self.server))
            .query(query)
            .build()
            .map_err(|e| Error::Internal(format!("cannot encode the query: {}", reason(&e))))?
            .url()
            .clone();
        let path = match url.query() {
            Some(query) if !query.is_empty() => format!("{path}?{query}"),
            _ => path.to_owned(),
        };
        self.call(Method::GET, &path, None, None, self.retry).await
    }

    /// `POST path` without a body and with `operation` as the idempotency key, so that every
    /// retry is the same command.
    async fn command<T: DeserializeOwned>(&self, path: &str, operation: Uuid) -> Result<T, Error> {
        self.call(Method::POST, path, Some(operation), None, self.retry)
            .await
    }

    /// `method path` with `body` as JSON and `operation` as the idempotency key. The body is
    /// encoded once, so every retry sends the same bytes with the same key.
    async fn command_with<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        operation: Uuid,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Error::Internal(format!("cannot encode the request: {e}")))?;
        self.call(method, path, Some(operation), Some(&body), self.retry)
            .await
    }

    /// `PUT path` with `body` as JSON, as operation `operation` (see [`Self::command_with`]).
    async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        operation: Uuid,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        self.command_with(Method::PUT, path, operation, body).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        key: Option<Uuid>,
        body: Option<&[u8]>,
        retry: Retry,
    ) -> Result<T, Error> {
        let url = format!("{}{path}", self.server);
        let attempts = retry.attempts.max(1);
        for attempt in 1.. {
            note(
                self.verbose,
                format_args!("{method} {url} (attempt {attempt} of {attempts})"),
            );
            match self.once(method.clone(), &url, key, body).await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error),
                Attempt::Again(mut error, _) if attempt >= attempts => {
                    if let Error::Unreachable {
                        attempts: tried, ..
                    } = &mut error
                    {
                        *tried = attempt;
                    }
                    return Err(error);
                }
                Attempt::Again(error, retry_after) => {
                    let wait =
                        retry.wait(attempt, retry_after) + jitter(retry.wait(attempt, None) / 4);
                    note(
                        self.verbose,
                        format_args!("{error}; retrying in {} ms", wait.as_millis()),
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
        unreachable!("the loop returns by the last attempt")
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        key: Option<Uuid>,
        body: Option<&[u8]>,
    ) -> Attempt<T> {
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose())
            .header(
                ACCEPT,
                format!("application/json, {}", problem::CONTENT_TYPE),
            );
        if let Some(key) = key {
            request = request.header(IDEMPOTENCY_KEY, key.to_string());
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_builder() => {
                return Attempt::Fail(Error::Internal(format!(
                    "cannot build the request: {}",
                    reason(&e)
                )));
            }
            Err(e) => return Attempt::Again(self.unreachable(&e), None),
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        // A connection that breaks mid-answer is as good as no answer: the key makes a repeat safe.
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return Attempt::Again(self.unreachable(&e), None),
        };
        if status.is_success() {
            return match serde_json::from_slice(&bytes) {
                Ok(value) => Attempt::Done(value),
                Err(e) => Attempt::Fail(Error::BadResponse {
                    server: self.server.clone(),
                    what: format!(
                        "HTTP {} with a body that is not the expected JSON ({e})",
                        status.as_u16()
                    ),
                }),
            };
        }
        let problem = serde_json::from_slice::<Problem>(&bytes).ok();
        // A 409 is worth repeating while the same key is in flight, not when the notification
        // already went out.
        let settled = problem
            .as_ref()
            .is_some_and(|p| p.kind == routes::ALREADY_DISPATCHED);
        let error = classify(status.as_u16(), problem, &self.server, &self.config_path);
        if retryable(status.as_u16()) && !settled {
            Attempt::Again(error, retry_after)
        } else {
            Attempt::Fail(error)
        }
    }

    fn unreachable(&self, error: &reqwest::Error) -> Error {
        Error::Unreachable {
            server: self.server.clone(),
            reason: reason(error),
            attempts: 1,
        }
    }
}

/// `Retry-After` in seconds; the HTTP-date form is not used by notify-server.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Up to `max`, so that clients that failed together do not retry together.
fn jitter(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    // A randomly keyed hasher is the standard library's only source of randomness.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Duration::from_nanos(random % nanos)
}

/// A transport error as one lowercase phrase: the innermost cause says the most
/// ("connection refused"), reqwest's own message the least ("error sending request").
pub fn reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return if error.is_connect() {
            format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())
        } else {
            format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
        };
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    phrase(&cause.to_string())
}

/// An error message as a phrase to go after a colon: without the `(os error 2)` that the
/// standard library appends, and starting lowercase.
pub fn phrase(text: &str) -> String {
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    lowercase_first(text)
}

/// "Connection refused" becomes "connection refused"; "DNS error" stays as it is.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Exit;

    fn classify_plain(status: u16, problem: Option<Problem>) -> Error {
        classify(status, problem, "http://h:1", Path::new("/c/config.toml"))
    }

    #[test]
    fn statuses_map_to_exit_codes() {
        let cases = [
            (400, Exit::Failed),
            (401, Exit::Usage),
            (403, Exit::Usage),
            (404, Exit::Failed),
            (409, Exit::Failed),
            (413, Exit::Failed),
            (422, Exit::Failed),
            (500, Exit::Unreachable),
            (502, Exit::Unreachable),
            (503, Exit::Unreachable),
        ];
        for (status, exit) in cases {
            assert_eq!(classify_plain(status, None).exit_code(), exit, "{status}");
        }
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        let retried: Vec<u16> = (400..600).filter(|s| retryable(*s)).collect();
        assert_eq!(retried, [409, 429, 502, 503, 504]);
    }

    #[test]
    fn a_problem_document_is_kept_as_sent() {
        let problem = Problem::new(403, "forbidden", "Forbidden")
            .with_detail("this token lacks the `send` scope");
        let error = classify_plain(403, Some(problem));
        assert_eq!(
            error.to_string(),
            "forbidden: this token lacks the `send` scope"
        );
    }

    #[test]
    fn an_answer_without_problem_document_says_so() {
        assert_eq!(
            classify_plain(404, None).to_string(),
            "not found: HTTP 404 without a problem document"
        );
        assert_eq!(
            classify_plain(502, None).to_string(),
            "the server at http://h:1 failed: bad gateway: HTTP 502 without a problem document"
        );
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let retry = Retry::COMMAND;
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            [1, 2, 3].map(|a| retry.wait(a, None)),
            [ms(250), ms(500), ms(1000)]
        );
        assert_eq!(retry.wait(1, Some(Duration::from_secs(1))), ms(1000));
        assert_eq!(retry.wait(3, Some(ms(10))), ms(1000));
        assert_eq!(
            retry.wait(1, Some(Duration::from_secs(3600))),
            MAX_RETRY_AFTER
        );
        assert!(jitter(ms(100)) < ms(100));
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn messages_start_lowercase() {
        assert_eq!(lowercase_first("Connection refused"), "connection refused");
        assert_eq!(lowercase_first("DNS error"), "DNS error");
        assert_eq!(lowercase_first(""), "");
        assert_eq!(
            phrase("No such file or directory (os error 2)"),
            "no such file or directory"
        );
    }
}
