//! The webhook channel: POSTs one notification as Slack-compatible JSON, signed as in the
//! Standard Webhooks spec (<https://www.standardwebhooks.com>), and says what came of it as an
//! [`Attempt`].
//!
//! It must not reach the server's own network: unless `webhook.allow_private` is set, a URL whose
//! host is, or resolves to, any loopback, private, link-local, metadata or otherwise non-public
//! address is refused before a byte is sent, redirects are never followed and proxies from the
//! environment are ignored. It must not decide about retries or record events, and must not
//! put the URL (which may hold credentials) or the secret into a detail or a log.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac as _};
use notify_shared::event::NotificationRequested;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, Url, redirect};
use sha2::Sha256;
use uuid::Uuid;

use super::attempt::Attempt;
use crate::config::WebhookConfig;

/// The prefix of a Standard Webhooks secret.
const SECRET_PREFIX: &str = "whsec_";
/// Shortest and longest secret key, in bytes (the spec asks for 24 to 64).
const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// Posts notifications to webhooks; cheap to clone (the client and its pool are shared).
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// No redirects, no proxy, the timeout, and the public-only resolver unless allowed.
    client: reqwest::Client,
    /// Whether URLs may reach non-public addresses.
    allow_private: bool,
    /// Bound on one POST, for details.
    timeout: Duration,
}

/// One webhook call to make.
pub struct Hook<'a> {
    /// The delivery id: the Standard Webhooks `webhook-id` (the same across retries, so receivers
    /// can dedupe).
    pub delivery_id: Uuid,
    /// The notification id (`notification.id` in the body).
    pub notification_id: Uuid,
    /// Where to POST: an `http` or `https` URL.
    pub url: &'a str,
    /// `whsec_<base64>`.
    pub secret: &'a str,
    /// What to say.
    pub notification: &'a NotificationRequested,
}

impl std::fmt::Debug for Hook<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never appears in logs.
        f.debug_struct("Hook")
            .field("delivery_id", &self.delivery_id)
            .field("notification_id", &self.notification_id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("notification", &self.notification)
            .finish()
    }
}

/// Why a webhook secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// It does not start with `whsec_`.
    #[error("a webhook secret starts with whsec_ followed by standard base64")]
    Prefix,
    /// What follows `whsec_` is not standard (padded) base64.
    #[error("a webhook secret is whsec_ followed by standard base64: {0}")]
    Base64(String),
    /// The key is too short or too long.
    #[error("a webhook secret's key must be 24 to 64 bytes, not {0}")]
    Length(usize),
}

impl Webhooks {
    /// A client for `config`.
    pub fn new(config: &WebhookConfig) -> Self {
        let timeout = Duration::from_millis(config.timeout_ms);
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("notify-webhook/", env!("CARGO_PKG_VERSION")))
            // A redirect could point anywhere, including at a private address.
            .redirect(redirect::Policy::none())
            // HTTP(S)_PROXY would resolve the target itself, past our resolver.
            .no_proxy()
            .timeout(timeout);
        if !config.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        // With rustls and no custom roots or certificates, building can only fail if the TLS
        // backend cannot start at all, which no configuration can fix.
        let client = builder.build().expect("the webhook http client builds");
        Self {
            client,
            allow_private: config.allow_private,
            timeout,
        }
    }

    /// POSTs one notification and classifies the outcome; never panics and never retries.
    #[tracing::instrument(level = "debug", skip_all, fields(delivery = %hook.delivery_id))]
    pub async fn post(&self, hook: &Hook<'_>) -> Attempt {
        let url = match Url::parse(hook.url) {
            Ok(url) => url,
            Err(e) => return Attempt::permanent(format!("invalid webhook url: {e}")),
        };
        if !matches!(url.scheme(), "http" | "https") {
            let scheme = url.scheme();
            return Attempt::permanent(format!(
                "unsupported url scheme {scheme}: use http or https"
            ));
        }
        let Some(host) = url.host_str().map(str::to_owned) else {
            return Attempt::permanent("invalid webhook url: no host");
        };
        // reqwest only asks the resolver about names, so literal addresses are checked here.
        // The parser has already normalised forms such as `0x7f.1` or `2130706433` to dotted
        // decimal, so a plain parse sees every literal.
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        if let Some(ip) = literal
            .ok()
            .filter(|ip| !self.allow_private && !is_public(*ip))
        {
            return Attempt::permanent(PrivateAddress { host, ip }.to_string());
        }

        let body = payload(hook).to_string();
        let id = hook.delivery_id.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match sign(hook.secret, &id, timestamp, body.as_bytes()) {
            Ok(signature) => signature,
            Err(e) => return Attempt::permanent(format!("invalid webhook secret: {e}")),
        };
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let attempt = match sent {
            Ok(response) => by_status(response.status()),
            Err(error) => self.failure(&error, &host),
        };
        tracing::debug!(?attempt, "webhook attempt");
        attempt
    }

    /// Classifies a request that got no response.
    fn failure(&self, error: &reqwest::Error, host: &str) -> Attempt {
        let mut source: Option<&dyn std::error::Error> = Some(error);
        let mut cause = error.to_string();
        while let Some(current) = source {
            if let Some(refused) = current.downcast_ref::<PrivateAddress>() {
                return Attempt::permanent(refused.to_string());
            }
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                cause = match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
                    std::io::ErrorKind::ConnectionReset => "connection reset".into(),
                    _ => io.to_string(),
                };
                break;
            }
            cause = current.to_string();
            source = current.source();
        }
        if error.is_timeout() {
            let ms = self.timeout.as_millis();
            Attempt::transient(format!("{host} did not answer within {ms} ms"))
        } else if error.is_connect() {
            Attempt::transient(format!(
                "cannot connect to {host}: {}",
                lowercase_first(&cause)
            ))
        } else {
            Attempt::transient(format!(
                "posting to {host} failed: {}",
                lowercase_first(&cause)
            ))
        }
    }
}

/// 2xx delivered; 408, 429 and 5xx may pass; every other status (a 3xx is a redirect we do not
/// follow) will not.
fn by_status(status: StatusCode) -> Attempt {
    let code = status.as_u16();
    if status.is_success() {
        Attempt::delivered(format!("HTTP {code}"))
    } else if status.is_redirection() {
        Attempt::permanent(format!("HTTP {code} (redirects are not followed)"))
    } else if matches!(code, 408 | 429) || status.is_server_error() {
        Attempt::transient(format!("HTTP {code}"))
    } else if status.is_client_error() {
        Attempt::permanent(format!("HTTP {code}"))
    } else {
        Attempt::transient(format!("HTTP {code} (unexpected)"))
    }
}

/// The JSON body: Slack's `text`, plus the notification for receivers that want fields.
fn payload(hook: &Hook<'_>) -> serde_json::Value {
    let n = hook.notification;
    // Slack reads `<...>` as links and mentions (`<!channel>`); escaping keeps text literal.
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let text = match &n.title {
        Some(title) => format!("*{}*\n{}", escape(title), escape(&n.body)),
        None => escape(&n.body),
    };
    serde_json::json!({
        "text": text,
        "notification": {
            "id": hook.notification_id,
            "sender": n.sender,
            "recipient": n.recipient,
            "title": n.title,
            "body": n.body,
            "priority": n.priority,
            "tags": n.tags,
            "thread": n.thread,
        },
    })
}

/// A new secret: `whsec_` and the standard base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", BASE64.encode(key))
}

/// Checks that `secret` is `whsec_` and standard base64 of a 24- to 64-byte key.
pub fn check_secret(secret: &str) -> Result<(), String> {
    secret_key(secret).map(drop).map_err(|e| e.to_string())
}

/// The Standard Webhooks `webhook-signature` value, `v1,<base64 HMAC-SHA256>` of
/// `{id}.{timestamp}.{body}` keyed with the decoded secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SecretError> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

fn secret_key(secret: &str) -> Result<Vec<u8>, SecretError> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SecretError::Prefix)?;
    let key = BASE64
        .decode(encoded)
        .map_err(|e| SecretError::Base64(lowercase_first(&e.to_string())))?;
    if SECRET_BYTES.contains(&key.len()) {
        Ok(key)
    } else {
        Err(SecretError::Length(key.len()))
    }
}

/// A name or literal that leads to an address the webhook channel must not reach.
#[derive(Debug, thiserror::Error)]
#[error("refused: {host} resolves to a private address {ip}")]
struct PrivateAddress {
    host: String,
    ip: IpAddr,
}

/// Resolves with the system resolver and fails when any address is not public, so a name with
/// one public and one private address cannot be used to reach the private one.
#[derive(Debug)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|addr| !is_public(addr.ip())) {
                return Err(Box::new(PrivateAddress { host, ip: bad.ip() }) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether a webhook may reach `ip`: false for loopback, unspecified, private, CGNAT,
/// link-local (including the cloud metadata addresses), unique-local, multicast, broadcast,
/// reserved, documentation and benchmarking ranges, and IPv6 forms that embed such an IPv4.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network", including 0.0.0.0
        || ip.is_loopback()
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || (a == 100 && (64..128).contains(&b)) // 100.64/10, carrier-grade NAT
        || ip.is_link_local() // 169.254/16, with the metadata address 169.254.169.254
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24, IETF protocol assignments
        || ip.is_documentation() // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast, deprecated
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15, benchmarking
        || ip.is_multicast() // 224/4
        || a >= 240) // 240/4 reserved, and 255.255.255.255 broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(s[..6] == [0; 6] // ::/96: unspecified, loopback, deprecated IPv4-compatible
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique-local, with AWS's fd00:ec2::254
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10 site-local, deprecated
        || (s[0] & 0xff00) == 0xff00 // ff00::/8 multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32 documentation
        || (s[0] == 0x3fff && s[1] < 0x1000) // 3fff::/20 documentation
        || (s[0] == 0x2001 && s[1] < 0x0200) // 2001::/23 IETF assignments (Teredo, ...)
        || (s[0] == 0x0100 && s[1..4] == [0; 3]) // 100::/64 discard-only
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1)) // 64:ff9b:1::/48 local NAT64
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or
/// 6to4 (`2002:aabb:ccdd::`) address: each reaches that IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(mapped) = ip.to_ipv4_mapped() {
        Some(mapped)
    } else if s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(v4(s[1], s[2]))
    } else {
        None
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
