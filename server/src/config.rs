//! Server configuration: built-in defaults, then `notify-server.toml`, then `NOTIFY_SERVER_*`
//! environment variables (for example `NOTIFY_SERVER_WRITE_DB`; a double underscore reaches
//! into a section: `NOTIFY_SERVER_SMTP__PORT`).
//!
//! It must not connect to anything: it reads and checks values, and the roles use them.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The configuration file read when `--config` is not given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "notify-server.toml";
/// Names the services file instead of the default ([`services_file`]).
pub const ENV_SERVICES_FILE: &str = "NOTIFY_SERVICES_FILE";

/// The services file `scripts/services` writes (the local services' URLs, with the passwords
/// it made): `$NOTIFY_SERVICES_FILE`, else `~/.config/notify/services.toml`
/// (`$XDG_CONFIG_HOME`). Read, when it exists, before `notify-server.toml`.
pub fn services_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ENV_SERVICES_FILE).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join("notify/services.toml"))
}

/// Fails when group or others may read `path`: it holds passwords.
fn check_private(path: &Path) -> Result<(), Box<figment::Error>> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| figment::Error::from(format!("cannot inspect {}: {e}", path.display())))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(Box::new(figment::Error::from(format!(
            "{} holds passwords and is accessible by group or others (mode {mode:03o}); run: chmod 600 {}",
            path.display(),
            path.display()
        ))));
    }
    Ok(())
}

/// Every setting of `notify-server`.
#[derive(Debug, Deserialize)]
pub struct Config {
    /// Address the api listens on; port 0 picks a free port (printed on stdout).
    pub listen: SocketAddr,
    /// URL of the write PostgreSQL database.
    pub write_db: SecretString,
    /// URL of the read PostgreSQL database (on another server than the write DB).
    pub read_db: SecretString,
    /// URL of the RabbitMQ broker (AMQP 0-9-1), including the vhost.
    pub amqp_url: SecretString,
    /// Most outbox rows the relay publishes in one batch.
    pub relay_batch: u32,
    /// How often the relay looks at the outbox when no LISTEN/NOTIFY wake-up came, in ms.
    pub relay_poll_ms: u64,
    /// Most connections in the write DB pool.
    pub write_db_connections: u32,
    /// Most connections in the read DB pool.
    pub read_db_connections: u32,
    /// Most commands (requests that write) each api process runs at once; one more is
    /// answered `503` with `Retry-After` at once.
    pub max_commands_in_flight: NonZeroU32,
    /// Most live streams (`GET /v1/stream`: browser tabs, scripts) one user may have open on
    /// each api process; one more is answered `429`.
    pub max_streams_per_user: u32,
    /// Most events the projector applies in one read-DB transaction.
    pub projector_batch: u16,
    /// How far ahead a send may be scheduled (`deliver_at`), in days.
    pub schedule_max_days: u32,
    /// How often the scheduler looks for due scheduled sends, in ms.
    pub scheduler_poll_ms: u64,
    /// How long a client may take to send a request's head, in ms; also how long an idle
    /// kept-alive connection stays open.
    pub header_timeout_ms: u64,
    /// The e-mail channel (`[smtp]`, `NOTIFY_SERVER_SMTP__HOST`, ...).
    #[serde(default)]
    pub smtp: SmtpConfig,
    /// The webhook channel (`[webhook]`, `NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE`, ...).
    #[serde(default)]
    pub webhook: WebhookConfig,
    /// The dispatcher's retries, deadlines and escalation (`[delivery]`).
    #[serde(default)]
    pub delivery: DeliveryConfig,
    /// Device registration: broker accounts and device queues (`[devices]`).
    #[serde(default)]
    pub devices: DevicesConfig,
    /// `[rate_limit]`: how many requests each user may make.
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
    /// Where the api role serves the gRPC gateway (`proto/notify/v1/notify.proto`); unset,
    /// it is off. Port 0 picks a free port (printed on stdout after the HTTP address).
    #[serde(default)]
    pub grpc_listen: Option<SocketAddr>,
    /// The rules file that turns other services' domain events into sends (see
    /// `notify-server rules check`); without one, every domain event is refused (`no-rule`).
    #[serde(default)]
    pub ingest_rules: Option<PathBuf>,
    /// Where this process serves its Prometheus metrics (`GET /metrics`, no token: keep it
    /// on loopback or a private network); unset, only the api serves them, to admin tokens.
    /// Each process needs its own port.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
}

/// How the api creates broker accounts and device queues for daemons.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevicesConfig {
    /// The RabbitMQ management API.
    pub management_url: String,
    /// An administrator of the management API.
    pub management_user: String,
    /// Its password.
    pub management_password: SecretString,
    /// The AMQP URL daemons connect to, without credentials; derived from `amqp_url` when unset.
    pub public_url: Option<String>,
    /// A device queue nobody consumed for this long is deleted by the broker, in seconds.
    pub queue_expires_s: u64,
    /// Most messages a device queue keeps; the oldest are dropped beyond (the inbox keeps all).
    pub queue_max_length: u64,
    /// Broker account names are this prefix, the user id, `.` and the device name. Broker
    /// accounts are global to the broker, so two deployments on one broker need different
    /// prefixes.
    pub account_prefix: String,
    /// Most connections one device's broker account may have open (a daemon uses one).
    pub max_connections: u32,
    /// Most channels one device's broker account may have open (a daemon uses one).
    pub max_channels: u32,
}

impl Default for DevicesConfig {
    fn default() -> Self {
        Self {
            management_url: "http://127.0.0.1:15672/api".into(),
            management_user: "notify-admin".into(),
            management_password: SecretString::from(""),
            public_url: None,
            queue_expires_s: 30 * 86_400,
            queue_max_length: 10_000,
            account_prefix: "notify-user-".into(),
            max_connections: 3,
            max_channels: 4,
        }
    }
}

/// How the e-mail worker reaches its SMTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// SMTP server host.
    pub host: String,
    /// SMTP server port.
    pub port: u16,
    /// `none` (plain, for a local relay), `starttls` or `tls` (implicit TLS); TLS is rustls.
    pub tls: SmtpTls,
    /// User name for SMTP AUTH, when the server wants it.
    pub username: Option<String>,
    /// Password for SMTP AUTH.
    pub password: Option<SecretString>,
    /// The From address of every e-mail.
    pub from: String,
    /// How long one SMTP exchange may take, in ms.
    pub timeout_ms: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 25,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "notify <notify@localhost>".into(),
            timeout_ms: 10_000,
        }
    }
}

/// The per-user request rate the api allows (a token bucket per user and api process).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per second, sustained; 0 turns the limit off.
    pub per_second: u32,
    /// Requests allowed at once above that, after a quiet spell.
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_second: 100,
            burst: 500,
        }
    }
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// No TLS: only for a relay on loopback.
    None,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// How the webhook worker posts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// How long one POST may take, in ms.
    pub timeout_ms: u64,
    /// Allow webhook URLs that resolve to loopback, private, link-local or metadata addresses.
    /// Off by default: a user's webhook must not reach into the server's network.
    pub allow_private: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            allow_private: false,
        }
    }
}

/// The dispatcher's retries, deadlines and escalation.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Attempts per channel before it counts as failed.
    pub max_attempts: u32,
    /// Wait before the first retry, in ms; it doubles with each further one.
    pub retry_base_ms: u64,
    /// How long an e-mail or webhook delivery may go without an outcome, in seconds.
    pub deadline_s: u64,
    /// How long a desktop delivery waits for a device receipt, in seconds.
    pub desktop_deadline_s: u64,
    /// Who is told when a notification fails (a user id); nobody when unset.
    pub escalation_recipient: Option<notify_shared::UserId>,
    /// How often the dispatcher looks for due retries and missed deadlines, in ms.
    pub sweep_ms: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            retry_base_ms: 1000,
            deadline_s: 600,
            desktop_deadline_s: 86_400,
            escalation_recipient: None,
            sweep_ms: 500,
        }
    }
}

/// The defaults, matching what `scripts/services` starts.
#[derive(Serialize)]
struct Defaults {
    listen: &'static str,
    write_db: &'static str,
    read_db: &'static str,
    amqp_url: &'static str,
    relay_batch: u32,
    relay_poll_ms: u64,
    write_db_connections: u32,
    read_db_connections: u32,
    max_commands_in_flight: u32,
    max_streams_per_user: u32,
    projector_batch: u16,
    schedule_max_days: u32,
    scheduler_poll_ms: u64,
    header_timeout_ms: u64,
}

const DEFAULTS: Defaults = Defaults {
    listen: "127.0.0.1:8470",
    // No passwords: `scripts/services` makes them and writes these URLs with them into the
    // services file ([`services_file`]).
    write_db: "postgres://notify@127.0.0.1:5678/notify_write",
    read_db: "postgres://notify@127.0.0.1:5432/notify_read",
    amqp_url: "amqp://notify@127.0.0.1:5672/%2f",
    relay_batch: 500,
    relay_poll_ms: 1000,
    write_db_connections: 16,
    read_db_connections: 16,
    max_commands_in_flight: 128,
    max_streams_per_user: 8,
    projector_batch: 200,
    schedule_max_days: 365,
    scheduler_poll_ms: 250,
    header_timeout_ms: 10_000,
};

impl Config {
    /// Loads the configuration; `file` is `--config`, which must exist when given.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(DEFAULTS));
        if let Some(services) = services_file().filter(|path| path.exists()) {
            check_private(&services)?;
            figment = figment.merge(Toml::file_exact(services));
        }
        match file {
            Some(path) if !path.exists() => {
                return Err(Box::new(figment::Error::from(format!(
                    "configuration file {} does not exist",
                    path.display()
                ))));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
        }
        figment
            .merge(Env::prefixed("NOTIFY_SERVER_").split("__"))
            .extract()
            .map_err(Box::new)
    }

    /// The scheduler's poll interval.
    pub fn scheduler_poll(&self) -> Duration {
        Duration::from_millis(self.scheduler_poll_ms.max(1))
    }

    /// How long a client may take to send a request's head.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms.max(1))
    }

    /// The relay's fallback poll interval.
    pub fn relay_poll(&self) -> Duration {
        Duration::from_millis(self.relay_poll_ms)
    }
}
