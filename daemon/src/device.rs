//! This machine as a device of the user: its name, its registration with the server
//! (`POST /v1/devices`), and `device.json` in the state directory, which keeps the broker
//! credentials between runs.
//!
//! It never logs the broker password, and never reads a `device.json` that group or others
//! may read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use notify_shared::UserId;
use notify_shared::commands::{DeviceCredentials, valid_device_name};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::api::{Api, ApiError};
use crate::backoff::Backoff;
use crate::paths;

/// Names the device instead of the host name.
pub const ENV_DEVICE: &str = "NOTIFYD_DEVICE";
/// The device name when the host name gives none.
pub const DEFAULT_DEVICE: &str = "default";
/// The file in the state directory.
pub const DEVICE_FILE: &str = "device.json";

/// The device name from the host name: its first label, lowercased, with every character
/// outside the device-name rule replaced by `-`, runs of `-` collapsed, at most 32
/// characters. `None` when nothing usable is left.
pub fn sanitise(host: &str) -> Option<String> {
    let label = host.trim().split('.').next().unwrap_or_default();
    let mut name = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            c
        } else {
            '-'
        };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    let name: String = name.trim_end_matches('-').chars().take(32).collect();
    let name = name.trim_end_matches('-').to_owned();
    valid_device_name(&name).then_some(name)
}

/// The default device name: the host name from `/etc/hostname`, sanitised, else
/// [`DEFAULT_DEVICE`].
pub fn default_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .and_then(|host| sanitise(&host))
        .unwrap_or_else(|| DEFAULT_DEVICE.to_owned())
}

/// The user a device queue `notify.user.<user>.<device>[.<random>]` belongs to (user ids and
/// device names hold no `.`).
pub fn queue_user(queue: &str, device: &str) -> Option<UserId> {
    let mut parts = queue.strip_prefix("notify.user.")?.split('.');
    let user = parts.next()?;
    (parts.next()? == device && parts.nth(1).is_none()).then_some(())?;
    UserId::parse(user).ok()
}

/// The contents of `device.json`: the credentials and what they were issued for.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceFile {
    /// The server URL the device was registered with.
    pub server: String,
    /// The credentials the server answered.
    pub credentials: DeviceCredentials,
}

impl std::fmt::Debug for DeviceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceFile")
            .field("server", &self.server)
            .field("device", &self.credentials.device)
            .field("queue", &self.credentials.queue)
            .finish_non_exhaustive()
    }
}

/// Registration with one server, remembered in one file.
#[derive(Debug, Clone)]
pub struct Registrar {
    /// The api client.
    api: Api,
    /// `device.json`.
    path: PathBuf,
    /// The device name.
    name: String,
}

/// A registration failure that retrying cannot fix.
#[derive(Debug, thiserror::Error)]
#[error("cannot register device {name:?} with {server}: {source}")]
pub struct Fatal {
    /// The device name.
    name: String,
    /// The server.
    server: String,
    /// What the server said.
    source: ApiError,
}

impl Registrar {
    /// A registrar for device `name` keeping its file in `state_dir`.
    pub fn new(api: Api, state_dir: &Path, name: String) -> Self {
        Self {
            api,
            path: state_dir.join(DEVICE_FILE),
            name,
        }
    }

    /// The device name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Fails when `device.json` exists and group or others may read it.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.path.exists() {
            paths::check_private_file(&self.path)?;
        }
        Ok(())
    }

    /// Reads `device.json` when it was written for this server and this device name.
    pub fn load(&self) -> anyhow::Result<Option<DeviceCredentials>> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.path.display()));
            }
        };
        paths::check_private_file(&self.path)?;
        let file: DeviceFile = match serde_json::from_slice(&text) {
            Ok(file) => file,
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "unreadable device file; registering again");
                return Ok(None);
            }
        };
        if file.server != self.api.server() || file.credentials.device != self.name {
            tracing::info!(
                old_server = %file.server,
                old_device = %file.credentials.device,
                "server or device name changed; registering again"
            );
            return Ok(None);
        }
        Ok(Some(file.credentials))
    }

    /// The stored credentials, or new ones from the server.
    pub async fn credentials(
        &self,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<DeviceCredentials>> {
        match self.load()? {
            Some(credentials) => Ok(Some(credentials)),
            None => self.register(shutdown).await,
        }
    }

    /// Registers with the server (again), retrying with backoff while the server is
    /// unreachable or failing; `None` when shut down first. Saves the answer.
    pub async fn register(
        &self,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<DeviceCredentials>> {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
        loop {
            match self.api.register(&self.name).await {
                Ok(credentials) => {
                    self.save(&credentials)?;
                    tracing::info!(device = %self.name, queue = %credentials.queue, "device registered");
                    return Ok(Some(credentials));
                }
                Err(error) if error.is_retryable() => {
                    let delay = backoff.next_delay();
                    tracing::warn!(%error, attempt = backoff.attempts(), retry_in = ?delay, "cannot register this device yet");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => return Ok(None),
                    }
                }
                Err(source) => {
                    return Err(Fatal {
                        name: self.name.clone(),
                        server: self.api.server().to_owned(),
                        source,
                    }
                    .into());
                }
            }
        }
    }

    fn save(&self, credentials: &DeviceCredentials) -> anyhow::Result<()> {
        let file = DeviceFile {
            server: self.api.server().to_owned(),
            credentials: credentials.clone(),
        };
        let json = serde_json::to_vec_pretty(&file)?;
        paths::write_atomic(&self.path, &json)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use notify_shared::config::Token;

    use super::*;
    use crate::paths::testing::TempDir;

    #[test]
    fn host_names_become_device_names() {
        assert_eq!(sanitise("Laptop\n").as_deref(), Some("laptop"));
        assert_eq!(sanitise("work-pc.example.com").as_deref(), Some("work-pc"));
        assert_eq!(sanitise("My Desk (2)").as_deref(), Some("my-desk-2"));
        assert_eq!(sanitise("--x--").as_deref(), Some("x"));
        assert_eq!(sanitise("snake_case").as_deref(), Some("snake_case"));
        assert_eq!(sanitise("Ünïcode").as_deref(), Some("n-code"));
        assert_eq!(sanitise("").as_deref(), None);
        assert_eq!(sanitise("...").as_deref(), None);
        assert_eq!(sanitise("ééé").as_deref(), None);
        let long = sanitise(&"a".repeat(80)).expect("valid");
        assert_eq!(long.len(), 32);
        let cut = sanitise(&format!("{}-b", "a".repeat(31))).expect("valid");
        assert_eq!(cut, "a".repeat(31));
        assert!(valid_device_name(&default_name()));
    }

    #[test]
    fn queue_names_give_the_user() {
        let user = queue_user("notify.user.alice.laptop", "laptop").expect("user");
        assert_eq!(user.as_str(), "alice");
        assert!(queue_user("notify.user.alice.laptop", "desk").is_none());
        assert!(queue_user("other.alice.laptop", "laptop").is_none());
        let user = queue_user("notify.user.alice.laptop.k3x9", "laptop").expect("user");
        assert_eq!(user.as_str(), "alice");
        assert!(queue_user("notify.user.alice.laptop.k3x9.more", "laptop").is_none());
    }

    fn credentials(device: &str) -> DeviceCredentials {
        DeviceCredentials {
            device: device.into(),
            broker_url: "amqp://127.0.0.1:5672/notify".into(),
            username: "notify-user-alice".into(),
            password: "secret".into(),
            queue: format!("notify.user.alice.{device}"),
        }
    }

    #[test]
    fn device_file_is_private_and_tied_to_server_and_name() {
        let tmp = TempDir::new();
        let api = Api::new("http://127.0.0.1:1", Token::new("t".into())).expect("client");
        let registrar = Registrar::new(api.clone(), tmp.path(), "laptop".into());
        assert!(registrar.load().expect("no file").is_none());
        registrar.save(&credentials("laptop")).expect("saved");
        assert_eq!(registrar.load().expect("read"), Some(credentials("laptop")));
        let path = tmp.path().join(DEVICE_FILE);
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );

        let renamed = Registrar::new(api, tmp.path(), "desk".into());
        assert!(
            renamed.load().expect("read").is_none(),
            "another name registers again"
        );
        let moved = Registrar::new(
            Api::new("http://127.0.0.1:2", Token::new("t".into())).expect("client"),
            tmp.path(),
            "laptop".into(),
        );
        assert!(
            moved.load().expect("read").is_none(),
            "another server registers again"
        );

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(
            registrar.load().is_err(),
            "a readable device file is refused"
        );
    }
}
