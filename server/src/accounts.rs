//! Broker accounts and device queues, through the RabbitMQ management HTTP API.
//!
//! Each user gets one broker account whose permissions allow nothing but reading that user's
//! device queues (configure `^$`, write `^$`, read `^notify\.user\.<user>\.[a-z0-9_-]+$`,
//! anchored so that `al` never reaches `alice`). The server declares and binds device queues;
//! daemons never declare anything.

use notify_shared::UserId;
use notify_shared::routing::EVENTS_EXCHANGE;
use rand::distr::{Alphanumeric, SampleString};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::config::DevicesConfig;

/// Why the broker could not be set up for a device.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The management API could not be reached or refused.
    #[error("RabbitMQ management API: {0}")]
    Management(String),
    /// The configured URLs make no sense.
    #[error("bad broker configuration: {0}")]
    Config(String),
}

/// The management API client, for one vhost.
#[derive(Debug, Clone)]
pub struct Accounts {
    http: reqwest::Client,
    management: String,
    admin: (String, SecretString),
    vhost: String,
    public_url: String,
    queue_expires_ms: u64,
    queue_max_length: u64,
    account_prefix: String,
}

impl Accounts {
    /// A client for the vhost of `amqp_url`.
    pub fn new(config: &DevicesConfig, amqp_url: &SecretString) -> Result<Self, AccountError> {
        let url = Url::parse(amqp_url.expose_secret())
            .map_err(|e| AccountError::Config(format!("amqp_url: {e}")))?;
        let raw_vhost = url.path().trim_start_matches('/');
        let vhost = percent_decode(raw_vhost);
        let vhost = if vhost.is_empty() {
            "/".to_owned()
        } else {
            vhost
        };
        let public_url = match &config.public_url {
            Some(public) => public.clone(),
            None => {
                let host = url
                    .host_str()
                    .ok_or_else(|| AccountError::Config("amqp_url has no host".into()))?;
                format!(
                    "{}://{host}:{}/{}",
                    url.scheme(),
                    url.port().unwrap_or(5672),
                    encode(&vhost)
                )
            }
        };
        Ok(Self {
            http: reqwest::Client::new(),
            management: config.management_url.trim_end_matches('/').to_owned(),
            admin: (
                config.management_user.clone(),
                config.management_password.clone(),
            ),
            vhost,
            public_url,
            queue_expires_ms: config.queue_expires_s.saturating_mul(1000),
            queue_max_length: config.queue_max_length,
            account_prefix: config.account_prefix.clone(),
        })
    }

    /// The AMQP URL daemons connect to.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The broker account name of `user`.
    pub fn username(&self, user: &UserId) -> String {
        format!("{}{user}", self.account_prefix)
    }

    /// A new random broker password.
    pub fn new_password() -> String {
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    }

    /// The device queue of `user`'s machine `device`.
    pub fn queue(user: &UserId, device: &str) -> String {
        format!("notify.user.{user}.{device}")
    }

    /// Creates (or updates) `user`'s account with `password` and its read-only permissions.
    pub async fn ensure_account(&self, user: &UserId, password: &str) -> Result<(), AccountError> {
        let name = self.username(user);
        self.call(
            Method::PUT,
            &format!("/users/{}", encode(&name)),
            Some(json!({"password": password, "tags": ""})),
        )
        .await?;
        let read = format!(
            "^notify\\.user\\.{}\\.[a-z0-9_-]+$",
            regex_escape(user.as_str())
        );
        let path = format!("/permissions/{}/{}", encode(&self.vhost), encode(&name));
        self.call(
            Method::PUT,
            &path,
            Some(json!({"configure": "^$", "write": "^$", "read": read})),
        )
        .await
    }

    /// Declares `user`'s device queue and binds it to every event addressed to the user.
    pub async fn declare_device_queue(
        &self,
        user: &UserId,
        device: &str,
    ) -> Result<String, AccountError> {
        let queue = Self::queue(user, device);
        let arguments =
            json!({"x-expires": self.queue_expires_ms, "x-max-length": self.queue_max_length});
        let path = format!("/queues/{}/{}", encode(&self.vhost), encode(&queue));
        self.call(
            Method::PUT,
            &path,
            Some(json!({"durable": true, "auto_delete": false, "arguments": arguments})),
        )
        .await?;
        let binding = format!(
            "/bindings/{}/e/{}/q/{}",
            encode(&self.vhost),
            encode(EVENTS_EXCHANGE),
            encode(&queue)
        );
        self.call(
            Method::POST,
            &binding,
            Some(json!({"routing_key": format!("user.{user}.#")})),
        )
        .await?;
        Ok(queue)
    }

    /// Deletes a device queue (gone already is fine).
    pub async fn delete_device_queue(
        &self,
        user: &UserId,
        device: &str,
    ) -> Result<(), AccountError> {
        let path = format!(
            "/queues/{}/{}",
            encode(&self.vhost),
            encode(&Self::queue(user, device))
        );
        self.call(Method::DELETE, &path, None).await
    }

    /// Deletes `user`'s account; RabbitMQ closes the connections it has at once (the
    /// security suite checks it). An account that is gone already is fine.
    pub async fn delete_account(&self, user: &UserId) -> Result<(), AccountError> {
        let name = self.username(user);
        self.call(Method::DELETE, &format!("/users/{}", encode(&name)), None)
            .await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(), AccountError> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.management))
            .basic_auth(&self.admin.0, Some(self.admin.1.expose_secret()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AccountError::Management(format!("{method} {path}: {e}")))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            StatusCode::NOT_FOUND if method == Method::DELETE => Ok(()),
            status => {
                let text = response.text().await.unwrap_or_default();
                Err(AccountError::Management(format!(
                    "{method} {path}: {status} {text}"
                )))
            }
        }
    }
}

/// Percent-encodes a path segment (vhost `/` is `%2F`).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// User ids are `[a-z0-9_-]` only, but escape regex metacharacters anyway in case that rule
/// ever widens.
fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vhosts_and_public_urls_come_from_the_amqp_url() {
        let config = DevicesConfig::default();
        let default = Accounts::new(
            &config,
            &SecretString::from("amqp://u:p@127.0.0.1:5672/%2f"),
        )
        .expect("valid");
        assert_eq!(
            (default.vhost.as_str(), default.public_url()),
            ("/", "amqp://127.0.0.1:5672/%2F")
        );
        let named = Accounts::new(
            &config,
            &SecretString::from("amqp://u:p@broker:5673/notify_test_1"),
        )
        .expect("valid");
        assert_eq!(
            (named.vhost.as_str(), named.public_url()),
            ("notify_test_1", "amqp://broker:5673/notify_test_1")
        );
    }

    #[test]
    fn permissions_are_anchored_to_the_user() {
        let al = UserId::parse("al").expect("valid");
        assert_eq!(
            format!(
                "^notify\\.user\\.{}\\.[a-z0-9_-]+$",
                regex_escape(al.as_str())
            ),
            "^notify\\.user\\.al\\.[a-z0-9_-]+$"
        );
        assert_eq!(regex_escape("a-b"), "a\\-b");
        assert_eq!(Accounts::queue(&al, "laptop"), "notify.user.al.laptop");
    }
}
