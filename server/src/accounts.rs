//! Broker accounts and device queues, through the RabbitMQ management HTTP API.
//!
//! Each device of a user gets its own broker account whose permissions allow nothing but
//! reading that device's queue (configure `^$`, write `^$`, read
//! `^notify\.user\.<user>\.<device>$`, anchored so that `al` never reaches `alice`), with
//! limits on its connections and channels. Its password is made at each registration, handed
//! to the device once and kept nowhere else: registering again re-issues it. The server
//! declares and binds device queues; daemons never declare anything.

use notify_shared::UserId;
use notify_shared::routing::{
    DEVICE_KINDS, EVENTS_EXCHANGE, INGEST_EXCHANGE, ingest_routing_pattern, routing_key_for_kind,
};
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
    max_connections: u32,
    max_channels: u32,
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
            max_connections: config.max_connections,
            max_channels: config.max_channels,
        })
    }

    /// The AMQP URL daemons connect to.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The broker account name of `user`'s machine `device` (`.` is in neither name, so the
    /// pair is unambiguous).
    pub fn username(&self, user: &UserId, device: &str) -> String {
        format!("{}{user}.{device}", self.account_prefix)
    }

    /// The one account per user that older servers made for all of a user's machines.
    fn former_username(&self, user: &UserId) -> String {
        format!("{}{user}", self.account_prefix)
    }

    /// A new random broker password.
    pub fn new_password() -> String {
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    }

    /// A new queue name for `user`'s machine `device`:
    /// `notify.user.<user>.<device>.<random>`. The random part is what keeps another account
    /// from learning of it: RabbitMQ answers a passive `queue.declare` (exists? how many
    /// messages and consumers?) without checking any permission, so a queue named only by user
    /// and device would tell anyone whether that machine is registered and online.
    pub fn new_queue(user: &UserId, device: &str) -> String {
        let token = Alphanumeric
            .sample_string(&mut rand::rng(), 22)
            .to_ascii_lowercase();
        format!("notify.user.{user}.{device}.{token}")
    }

    /// Creates `user`'s account for `device`, or gives it a new `password`, with permission to
    /// read that device's `queue` and nothing else, and its limits. The account older servers
    /// shared between a user's machines is removed (its daemons register again when refused).
    pub async fn ensure_account(
        &self,
        user: &UserId,
        device: &str,
        queue: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        let name = encode(&self.username(user, device));
        self.call(
            Method::PUT,
            &format!("/users/{name}"),
            Some(json!({"password": password, "tags": ""})),
        )
        .await?;
        let read = format!("^{}$", regex_escape(queue));
        let path = format!("/permissions/{}/{name}", encode(&self.vhost));
        self.call(
            Method::PUT,
            &path,
            Some(json!({"configure": "^$", "write": "^$", "read": read})),
        )
        .await?;
        self.limit(&name).await?;
        self.delete_former_account(user).await
    }

    /// Deletes the account older servers shared between `user`'s machines (gone already is
    /// fine).
    pub async fn delete_former_account(&self, user: &UserId) -> Result<(), AccountError> {
        let former = encode(&self.former_username(user));
        self.call(Method::DELETE, &format!("/users/{former}"), None)
            .await
    }

    /// Declares `queue`, a device queue of `user`, and binds it to the kinds of the user's events a device
    /// uses ([`DEVICE_KINDS`]); the binding to all of them (`user.<user>.#`) that older servers
    /// made is removed.
    pub async fn declare_device_queue(
        &self,
        user: &UserId,
        queue: &str,
    ) -> Result<(), AccountError> {
        let arguments =
            json!({"x-expires": self.queue_expires_ms, "x-max-length": self.queue_max_length});
        let path = format!("/queues/{}/{}", encode(&self.vhost), encode(queue));
        self.call(
            Method::PUT,
            &path,
            Some(json!({"durable": true, "auto_delete": false, "arguments": arguments})),
        )
        .await?;
        let bindings = format!(
            "/bindings/{}/e/{}/q/{}",
            encode(&self.vhost),
            encode(EVENTS_EXCHANGE),
            encode(queue)
        );
        for kind in DEVICE_KINDS {
            let routing_key = routing_key_for_kind(user, kind);
            self.call(
                Method::POST,
                &bindings,
                Some(json!({"routing_key": routing_key})),
            )
            .await?;
        }
        // A binding without arguments is named by its routing key (here the pattern of every
        // kind, `user.<user>.#`); unbinding what is not bound is fine.
        let former = format!("{bindings}/{}", encode(&routing_key_for_kind(user, "#")));
        self.call(Method::DELETE, &former, None).await
    }

    /// Deletes a device queue (gone already is fine).
    pub async fn delete_device_queue(&self, queue: &str) -> Result<(), AccountError> {
        let path = format!("/queues/{}/{}", encode(&self.vhost), encode(queue));
        self.call(Method::DELETE, &path, None).await
    }

    /// Deletes the account of `user`'s machine `device`; RabbitMQ closes the connections it
    /// has at once (the security suite checks it). An account that is gone already is fine.
    pub async fn delete_account(&self, user: &UserId, device: &str) -> Result<(), AccountError> {
        let name = encode(&self.username(user, device));
        self.call(Method::DELETE, &format!("/users/{name}"), None)
            .await
    }

    /// The broker account name of the service `service` (`:` is in no user or device name).
    pub fn service_username(&self, service: &UserId) -> String {
        format!("{}service:{service}", self.account_prefix)
    }

    /// Creates the broker account of the service `service`, or gives it a new `password`: it
    /// may publish to the ingest exchange under its own routing keys
    /// ([`ingest_routing_pattern`]) and do nothing else, within the same connection and channel
    /// limits as a device.
    pub async fn ensure_service_account(
        &self,
        service: &UserId,
        password: &str,
    ) -> Result<(), AccountError> {
        let name = encode(&self.service_username(service));
        let vhost = encode(&self.vhost);
        self.call(
            Method::PUT,
            &format!("/users/{name}"),
            Some(json!({"password": password, "tags": ""})),
        )
        .await?;
        let write = format!("^{}$", regex_escape(INGEST_EXCHANGE));
        self.call(
            Method::PUT,
            &format!("/permissions/{vhost}/{name}"),
            Some(json!({"configure": "^$", "write": write, "read": "^$"})),
        )
        .await?;
        self.call(
            Method::PUT,
            &format!("/topic-permissions/{vhost}/{name}"),
            Some(json!({
                "exchange": INGEST_EXCHANGE,
                "write": ingest_routing_pattern(service),
                "read": "^$",
            })),
        )
        .await?;
        self.limit(&name).await
    }

    /// Deletes the broker account of the service `service` (gone already is fine); RabbitMQ
    /// closes its connections at once.
    pub async fn delete_service_account(&self, service: &UserId) -> Result<(), AccountError> {
        let name = encode(&self.service_username(service));
        self.call(Method::DELETE, &format!("/users/{name}"), None)
            .await
    }

    /// Puts the connection and channel limits on the account `name` (percent-encoded).
    async fn limit(&self, name: &str) -> Result<(), AccountError> {
        for (limit, value) in [
            ("max-connections", self.max_connections),
            ("max-channels", self.max_channels),
        ] {
            self.call(
                Method::PUT,
                &format!("/user-limits/{name}/{limit}"),
                Some(json!({"value": value})),
            )
            .await?;
        }
        Ok(())
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

/// `text` as a regex matching itself: every character but letters, digits and `_` escaped
/// (the `.` of a queue name among them).
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
    fn permissions_are_anchored_to_the_device_queue() {
        let al = UserId::parse("al").expect("valid");
        assert_eq!(
            format!("^{}$", regex_escape("notify.user.al.laptop.x1")),
            "^notify\\.user\\.al\\.laptop\\.x1$"
        );
        assert_eq!(regex_escape("a-b"), "a\\-b");
        let queue = Accounts::new_queue(&al, "laptop");
        let token = queue.strip_prefix("notify.user.al.laptop.").expect("named");
        assert_eq!(token.len(), 22);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(Accounts::new_queue(&al, "laptop"), queue);
    }
}
