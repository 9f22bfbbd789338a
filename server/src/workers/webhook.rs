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
use notify_shared::text;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, Url, redirect};
use sha2::Sha256;
use uuid::Uuid;

use super::attempt::{Attempt, lowercase_first};
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
            // Only the host: a URL may carry credentials or tokens.
            .field(
                "host",
                &Url::parse(self.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned)),
            )
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
    #[error(
        "a webhook secret is whsec_ followed by standard base64 (A-Z a-z 0-9 + / and = padding)"
    )]
    Base64,
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
        let (url, host) = match check_url(hook.url, self.allow_private) {
            Ok(checked) => checked,
            Err(why) => return Attempt::permanent(why),
        };

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
        // reqwest's own message names the whole URL, which may carry credentials; the causes
        // below it do not.
        let mut source = std::error::Error::source(error);
        let mut cause = String::from("no further detail");
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
    // The text people read is cleaned by the rule every surface uses; `notification` keeps
    // the fields as they were sent, for programs.
    let body = escape(&text::clean_text(&n.body));
    let text = match n.title.as_deref().map(text::clean_line) {
        Some(title) => format!("*{}*\n{body}", escape(&title)),
        None => body,
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
    let key = BASE64.decode(encoded).map_err(|_| SecretError::Base64)?;
    if SECRET_BYTES.contains(&key.len()) {
        Ok(key)
    } else {
        Err(SecretError::Length(key.len()))
    }
}

/// The webhook URL `url` and its host, when the channel may post to it: http or https, a host,
/// and (unless `allow_private`) no literal address that is not public; names are checked when
/// they are resolved, at each delivery. Else why not, to show the user.
pub fn check_url(url: &str, allow_private: bool) -> Result<(Url, String), String> {
    let url = Url::parse(url).map_err(|e| format!("invalid webhook url: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        let scheme = url.scheme();
        return Err(format!(
            "unsupported url scheme {scheme}: use http or https"
        ));
    }
    let host = url
        .host_str()
        .map(str::to_owned)
        .ok_or("invalid webhook url: no host")?;
    // reqwest only asks the resolver about names, so literal addresses are checked here. The
    // parser has already normalised forms such as `0x7f.1` or `2130706433` to dotted decimal,
    // so a plain parse sees every literal.
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>();
    if let Some(ip) = literal.ok().filter(|ip| !allow_private && !is_public(*ip)) {
        return Err(PrivateAddress { host, ip }.to_string());
    }
    Ok((url, host))
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
            // `?` boxes the error itself, so `failure` can find it again by downcasting.
            all_public(&host, &addrs)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Fails on the first address of `host` that is not public.
fn all_public(host: &str, addrs: &[SocketAddr]) -> Result<(), PrivateAddress> {
    match addrs.iter().find(|addr| !is_public(addr.ip())) {
        Some(bad) => Err(PrivateAddress {
            host: host.to_owned(),
            ip: bad.ip(),
        }),
        None => Ok(()),
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode as Status, header};
    use axum::routing::{get, post};
    use notify_shared::UserId;
    use notify_shared::api::Priority;

    use super::*;

    /// The spec's own test vector (the Rust reference library's `test_sign`, standard-webhooks
    /// repository, libraries/rust/src/lib.rs).
    const SPEC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn notification() -> NotificationRequested {
        NotificationRequested {
            sender: UserId::parse("bob").expect("valid"),
            recipient: UserId::parse("alice").expect("valid"),
            title: Some("Deploy <!channel>".into()),
            body: "finished & green".into(),
            priority: Priority::High,
            tags: vec!["ci".into()],
            channels: vec![],
            thread: Some("deploys".into()),
            deliver_at: None,
            cause: None,
        }
    }

    fn hook<'a>(url: &'a str, notification: &'a NotificationRequested) -> Hook<'a> {
        let delivery_id = Uuid::now_v7();
        let notification_id = Uuid::now_v7();
        Hook {
            delivery_id,
            notification_id,
            url,
            secret: SPEC_SECRET,
            notification,
        }
    }

    fn webhooks(allow_private: bool) -> Webhooks {
        Webhooks::new(&WebhookConfig {
            timeout_ms: 2_000,
            allow_private,
        })
    }

    #[test]
    fn signature_matches_the_spec_and_an_independent_hmac() {
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let signature = sign(
            SPEC_SECRET,
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            body,
        );
        assert_eq!(
            signature.as_deref(),
            Ok("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
        );

        let key = [7u8; 32];
        let secret = format!("whsec_{}", BASE64.encode(key));
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(b"delivery-1.1700000000.{\"text\":\"hi\"}");
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        let signature = sign(&secret, "delivery-1", 1_700_000_000, br#"{"text":"hi"}"#);
        assert_eq!(signature, Ok(expected));
    }

    #[test]
    fn secrets_are_whsec_and_base64_of_24_to_64_bytes() {
        let secret = generate_secret();
        assert!(
            secret.starts_with("whsec_") && secret.len() == 6 + 44,
            "{secret}"
        );
        assert_ne!(secret, generate_secret());
        assert_eq!(check_secret(&secret), Ok(()));
        assert_eq!(check_secret(SPEC_SECRET), Ok(()));
        let of = |n: usize| format!("whsec_{}", BASE64.encode(vec![1u8; n]));
        assert_eq!(check_secret(&of(24)), Ok(()));
        assert_eq!(check_secret(&of(64)), Ok(()));
        let expect_err = |secret: &str, part: &str| {
            let err = check_secret(secret).expect_err(secret);
            assert!(err.contains(part), "{secret}: {err}");
        };
        expect_err(&of(23), "24 to 64 bytes, not 23");
        expect_err(&of(65), "24 to 64 bytes, not 65");
        expect_err(&BASE64.encode([1u8; 32]), "starts with whsec_");
        expect_err("whsec_not base64!", "standard base64");
        expect_err(
            "whsec_AAAA-_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "standard base64",
        );
    }

    #[test]
    fn only_public_addresses_are_public() {
        // Neighbours of the refused ranges are in the public list on purpose.
        let public = "93.184.216.34 1.1.1.1 172.32.0.1 100.128.0.1 198.20.0.1 11.0.0.1 \
            2606:4700:4700::1111 ::ffff:93.184.216.34 2002:5db8:d822::1 2001:200::1";
        let not_public = "0.0.0.0 0.1.2.3 127.0.0.1 127.255.0.9 10.1.2.3 172.16.0.1 \
            172.31.255.255 192.168.1.1 100.64.0.1 100.127.255.254 169.254.169.254 192.0.0.170 \
            192.0.2.1 198.18.0.1 198.51.100.1 203.0.113.1 224.0.0.1 240.0.0.1 255.255.255.255 \
            :: ::1 ::127.0.0.1 fe80::1 fc00::1 fd00:ec2::254 fec0::1 ff02::1 2001:db8::1 3fff::1 \
            2001::1 100::1 ::ffff:127.0.0.1 ::ffff:169.254.169.254 ::ffff:10.0.0.1 \
            64:ff9b::a9fe:a9fe 64:ff9b:1::1 2002:c0a8:0101::1";
        for (list, expected) in [(public, true), (not_public, false)] {
            for ip in list.split_whitespace() {
                assert_eq!(is_public(ip.parse().expect(ip)), expected, "{ip}");
            }
        }
    }

    #[test]
    fn a_name_with_any_private_address_is_refused() {
        let addrs = |ips: &[&str]| -> Vec<SocketAddr> {
            ips.iter()
                .map(|ip| SocketAddr::new(ip.parse().expect(ip), 0))
                .collect()
        };
        assert!(all_public("example.com", &addrs(&["93.184.216.34", "2606:2800::1"])).is_ok());
        let mixed = all_public("mixed.example", &addrs(&["93.184.216.34", "10.0.0.7"]));
        let detail = mixed.expect_err("refused").to_string();
        assert_eq!(
            detail,
            "refused: mixed.example resolves to a private address 10.0.0.7"
        );
    }

    #[tokio::test]
    async fn other_schemes_and_literal_private_hosts_are_refused() {
        let n = notification();
        let webhooks = webhooks(false);
        for (url, detail) in [
            (
                "ftp://example.com/hook",
                "unsupported url scheme ftp: use http or https",
            ),
            (
                "file:///etc/passwd",
                "unsupported url scheme file: use http or https",
            ),
            (
                "not a url",
                "invalid webhook url: relative URL without a base",
            ),
            (
                "http://127.0.0.1:9/hook",
                "refused: 127.0.0.1 resolves to a private address 127.0.0.1",
            ),
            (
                "http://0x7f.1/",
                "refused: 127.0.0.1 resolves to a private address 127.0.0.1",
            ),
            (
                "https://[::1]/",
                "refused: [::1] resolves to a private address ::1",
            ),
            (
                "http://169.254.169.254/latest/meta-data/",
                "refused: 169.254.169.254 resolves to a private address 169.254.169.254",
            ),
            (
                "http://[::ffff:a00:1]/",
                "refused: [::ffff:a00:1] resolves to a private address ::ffff:10.0.0.1",
            ),
            (
                "http://[fd00:ec2::254]/",
                "refused: [fd00:ec2::254] resolves to a private address fd00:ec2::254",
            ),
        ] {
            assert_eq!(
                webhooks.post(&hook(url, &n)).await,
                Attempt::permanent(detail),
                "{url}"
            );
        }
    }

    /// What the test receiver saw.
    #[derive(Default)]
    struct Seen {
        posts: Mutex<Vec<(HeaderMap, Bytes)>>,
        redirected: AtomicUsize,
    }

    /// A receiver on a free loopback port: `/ok` records and says 200, `/missing` 404,
    /// `/broken` 500, `/moved` redirects to `/target`, `/slow` answers after 5 s.
    async fn receiver() -> (String, Arc<Seen>) {
        async fn record(State(seen): State<Arc<Seen>>, headers: HeaderMap, body: Bytes) -> Status {
            seen.posts
                .lock()
                .expect("not poisoned")
                .push((headers, body));
            Status::OK
        }
        async fn target(State(seen): State<Arc<Seen>>) -> Status {
            seen.redirected.fetch_add(1, Ordering::SeqCst);
            Status::OK
        }
        let seen = Arc::new(Seen::default());
        let app = Router::new()
            .route("/ok", post(record))
            .route("/missing", post(|| async { Status::NOT_FOUND }))
            .route("/broken", post(|| async { Status::INTERNAL_SERVER_ERROR }))
            .route(
                "/moved",
                post(|| async { (Status::FOUND, [(header::LOCATION, "/target")]) }),
            )
            .route("/target", get(target).post(target))
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Status::OK
                }),
            )
            .with_state(Arc::clone(&seen));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let port = listener.local_addr().expect("has an address").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("127.0.0.1:{port}"), seen)
    }

    #[tokio::test]
    async fn posts_signed_slack_compatible_json() {
        let (addr, seen) = receiver().await;
        let n = notification();
        let url = format!("http://{addr}/ok");
        let hook = hook(&url, &n);
        let before = chrono::Utc::now().timestamp();
        assert_eq!(
            webhooks(true).post(&hook).await,
            Attempt::delivered("HTTP 200")
        );

        let posts = seen.posts.lock().expect("not poisoned");
        let [(headers, body)] = posts.as_slice() else {
            panic!("{} posts", posts.len())
        };
        let header = |name: &str| headers[name].to_str().expect("ascii").to_owned();
        assert_eq!(header("content-type"), "application/json");
        assert_eq!(
            header("user-agent"),
            concat!("notify-webhook/", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(header("webhook-id"), hook.delivery_id.to_string());
        let timestamp: i64 = header("webhook-timestamp").parse().expect("unix seconds");
        assert!((before..=before + 5).contains(&timestamp), "{timestamp}");
        let expected = sign(SPEC_SECRET, &hook.delivery_id.to_string(), timestamp, body);
        assert_eq!(Ok(header("webhook-signature")), expected);

        let json: serde_json::Value = serde_json::from_slice(body).expect("json");
        assert_eq!(
            json["text"],
            "*Deploy &lt;!channel&gt;*\nfinished &amp; green"
        );
        let sent = &json["notification"];
        assert_eq!(sent["id"], hook.notification_id.to_string());
        assert_eq!(
            (&sent["sender"], &sent["recipient"]),
            (&"bob".into(), &"alice".into())
        );
        assert_eq!(
            (&sent["title"], &sent["body"]),
            (&"Deploy <!channel>".into(), &"finished & green".into())
        );
        assert_eq!(
            (&sent["priority"], &sent["thread"]),
            (&"high".into(), &"deploys".into())
        );
        assert_eq!(sent["tags"], serde_json::json!(["ci"]));
    }

    #[tokio::test]
    async fn loopback_is_refused_without_a_request_unless_allowed() {
        let (addr, seen) = receiver().await;
        let n = notification();
        let port = addr.rsplit(':').next().expect("a port");
        // `localhost` goes through the resolver, `127.0.0.1` through the literal check.
        for url in [
            format!("http://localhost:{port}/ok"),
            format!("http://{addr}/ok"),
        ] {
            let attempt = webhooks(false).post(&hook(&url, &n)).await;
            let host = url
                .split("//")
                .nth(1)
                .and_then(|s| s.split(':').next())
                .expect("host");
            let detail = format!("refused: {host} resolves to a private address ");
            assert!(attempt.is_permanent(), "{url}: {attempt:?}");
            assert!(attempt.detail().starts_with(&detail), "{url}: {attempt:?}");
        }
        assert!(seen.posts.lock().expect("not poisoned").is_empty());
    }

    #[tokio::test]
    async fn statuses_and_errors_are_classified() {
        let (addr, seen) = receiver().await;
        let n = notification();
        let webhooks = webhooks(true);
        let post = |path: &str| format!("http://{addr}{path}");
        let broken = webhooks.post(&hook(&post("/broken"), &n)).await;
        assert_eq!(broken, Attempt::transient("HTTP 500"));
        let missing = webhooks.post(&hook(&post("/missing"), &n)).await;
        assert_eq!(missing, Attempt::permanent("HTTP 404"));
        let moved = webhooks.post(&hook(&post("/moved"), &n)).await;
        assert_eq!(
            moved,
            Attempt::permanent("HTTP 302 (redirects are not followed)")
        );
        assert_eq!(seen.redirected.load(Ordering::SeqCst), 0);

        let slow = Webhooks::new(&WebhookConfig {
            timeout_ms: 200,
            allow_private: true,
        });
        let attempt = slow.post(&hook(&post("/slow"), &n)).await;
        assert_eq!(
            attempt,
            Attempt::transient("127.0.0.1 did not answer within 200 ms")
        );

        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = closed.local_addr().expect("has an address").port();
        drop(closed);
        let attempt = webhooks
            .post(&hook(&format!("http://127.0.0.1:{port}/"), &n))
            .await;
        assert_eq!(
            attempt,
            Attempt::transient("cannot connect to 127.0.0.1: connection refused")
        );
    }
}
