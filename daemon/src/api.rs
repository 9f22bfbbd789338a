//! The daemon's client of the notify HTTP api: device registration, desktop receipts, the
//! "Mark read" command, one notification's content and the unread count.
//!
//! Every call is one request; retrying is the caller's business, guided by
//! [`ApiError::is_retryable`]. Nothing here logs the token or the broker password.

use std::time::Duration;

use notify_shared::api::IDEMPOTENCY_KEY;
use notify_shared::commands::{DeviceCredentials, DeviceRegistration, Receipt};
use notify_shared::config::Token;
use notify_shared::problem::Problem;
use notify_shared::views::{NotificationView, UnreadCount};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached, or did not answer in time.
    #[error("cannot reach {server}: {source}")]
    Unreachable {
        /// The server base URL.
        server: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("{method} {path} answered {status}{}", detail(.problem))]
    Status {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The status code.
        status: StatusCode,
        /// The problem document, when there was one.
        problem: Option<Problem>,
    },
    /// The server answered something that is not the expected body.
    #[error("{path}: unexpected answer: {message}")]
    Decode {
        /// The request path.
        path: String,
        /// What was wrong.
        message: String,
    },
}

fn detail(problem: &Option<Problem>) -> String {
    problem
        .as_ref()
        .map(|p| format!(": {p}"))
        .unwrap_or_default()
}

impl ApiError {
    /// Whether the same request may succeed later: the server was unreachable, failed (5xx),
    /// was busy with the same key (409), or asked to slow down (429, 408).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Decode { .. } => true,
            Self::Status { status, .. } => {
                status.is_server_error()
                    || matches!(
                        *status,
                        StatusCode::CONFLICT
                            | StatusCode::TOO_MANY_REQUESTS
                            | StatusCode::REQUEST_TIMEOUT
                    )
            }
        }
    }

    /// The status code, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client of one notify server, authenticated by the user's token.
#[derive(Debug, Clone)]
pub struct Api {
    /// The HTTP client (connection pool).
    http: reqwest::Client,
    /// The base URL, without a trailing slash.
    server: String,
    /// The bearer token.
    token: Token,
}

impl Api {
    /// A client of `server` (an http(s) base URL) with `token`.
    pub fn new(server: &str, token: Token) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("notifyd/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(Self {
            http,
            server: server.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// The server base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `POST /v1/devices`: registers this machine (idempotent by name).
    pub async fn register(&self, name: &str) -> Result<DeviceCredentials, ApiError> {
        let body = DeviceRegistration {
            name: name.to_owned(),
        };
        let request = self.request(Method::POST, "/v1/devices").json(&body);
        self.send_json(Method::POST, "/v1/devices", request).await
    }

    /// `POST /v1/deliveries/{delivery}/receipt` with idempotency key `key`.
    pub async fn receipt(&self, delivery: Uuid, key: Uuid, device: &str) -> Result<(), ApiError> {
        let path = format!("/v1/deliveries/{delivery}/receipt");
        let body = Receipt {
            device: Some(device.to_owned()),
        };
        let request = self
            .request(Method::POST, &path)
            .header(IDEMPOTENCY_KEY, key.to_string())
            .json(&body);
        self.send(Method::POST, &path, request).await.map(drop)
    }

    /// `POST /v1/notifications/{id}/read` with idempotency key `key`.
    pub async fn mark_read(&self, notification: Uuid, key: Uuid) -> Result<(), ApiError> {
        let path = format!("/v1/notifications/{notification}/read");
        let request = self
            .request(Method::POST, &path)
            .header(IDEMPOTENCY_KEY, key.to_string());
        self.send(Method::POST, &path, request).await.map(drop)
    }

    /// `GET /v1/notifications/{id}`.
    pub async fn notification(&self, id: Uuid) -> Result<NotificationView, ApiError> {
        let path = format!("/v1/notifications/{id}");
        let request = self.request(Method::GET, &path);
        self.send_json(Method::GET, &path, request).await
    }

    /// `GET /v1/inbox/count`.
    pub async fn unread_count(&self) -> Result<UnreadCount, ApiError> {
        let request = self.request(Method::GET, "/v1/inbox/count");
        self.send_json(Method::GET, "/v1/inbox/count", request)
            .await
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.server))
            .bearer_auth(self.token.expose())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        request: RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        let response = request
            .send()
            .await
            .map_err(|source| ApiError::Unreachable {
                server: self.server.clone(),
                source: source.without_url(),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let problem = response.json::<Problem>().await.ok();
        Err(ApiError::Status {
            method,
            path: path.to_owned(),
            status,
            problem,
        })
    }

    async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        request: RequestBuilder,
    ) -> Result<T, ApiError> {
        let response = self.send(method, path, request).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|source| ApiError::Unreachable {
                server: self.server.clone(),
                source: source.without_url(),
            })?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> ApiError {
        ApiError::Status {
            method: Method::POST,
            path: "/v1/x".into(),
            status: StatusCode::from_u16(code).expect("code"),
            problem: None,
        }
    }

    #[test]
    fn retries_only_what_may_succeed_later() {
        for code in [409, 429, 500, 502, 503] {
            assert!(status(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404, 422] {
            assert!(!status(code).is_retryable(), "{code}");
        }
    }
}
