//! Server configuration: built-in defaults, then `notify-server.toml`, then `NOTIFY_SERVER_*`
//! environment variables (for example `NOTIFY_SERVER_WRITE_DB`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The configuration file read when `--config` is not given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "notify-server.toml";

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
    /// Most events the projector applies in one read-DB transaction.
    pub projector_batch: u16,
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
    projector_batch: u16,
}

const DEFAULTS: Defaults = Defaults {
    listen: "127.0.0.1:8470",
    write_db: "postgres://notify:notify@127.0.0.1:5678/notify_write",
    read_db: "postgres://notify:notify@127.0.0.1:5432/notify_read",
    amqp_url: "amqp://notify:notify@127.0.0.1:5672/%2f",
    relay_batch: 500,
    relay_poll_ms: 1000,
    write_db_connections: 16,
    read_db_connections: 16,
    projector_batch: 200,
};

impl Config {
    /// Loads the configuration; `file` is `--config`, which must exist when given.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(DEFAULTS));
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
            .merge(Env::prefixed("NOTIFY_SERVER_"))
            .extract()
            .map_err(Box::new)
    }

    /// The relay's fallback poll interval.
    pub fn relay_poll(&self) -> Duration {
        Duration::from_millis(self.relay_poll_ms)
    }
}
