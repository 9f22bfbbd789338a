//! Runs the real `notifyd` for a test: its own state directory and socket (kept across
//! restarts), the test's server and token, and a desktop session to show popups on.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::binary;
use crate::desktop::Desktop;

/// Where one daemon keeps its state and socket, across restarts.
#[derive(Debug)]
pub struct DaemonHome {
    dir: PathBuf,
    /// The socket path (`NOTIFYD_SOCKET`).
    pub socket: PathBuf,
    /// The state directory (`NOTIFYD_STATE_DIR`).
    pub state: PathBuf,
    /// More environment for the daemon (`NOTIFYD_HEARTBEAT_S`, ...).
    pub env: Vec<(String, String)>,
}

/// A running notifyd, killed when dropped.
#[derive(Debug)]
pub struct Daemon {
    /// The process.
    pub child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl DaemonHome {
    /// A fresh home in a private temporary directory.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("notifyd-{}", uuid::Uuid::now_v7()));
        let run = dir.join("run");
        std::fs::create_dir_all(&run).expect("daemon dirs");
        for path in [&dir, &run] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
                .expect("chmod 700");
        }
        Self {
            socket: run.join("notifyd.sock"),
            state: dir.join("state"),
            dir,
            env: Vec::new(),
        }
    }

    /// Starts notifyd for `token` on `server` showing popups on `desktop`, and waits until it
    /// consumes its queue.
    pub async fn start(&self, server: &str, token: &str, desktop: &Desktop) -> Daemon {
        let daemon = self.spawn(server, token, desktop);
        daemon.wait_log("consuming").await;
        daemon
    }

    /// Starts notifyd as [`DaemonHome::start`] does, without waiting for anything.
    pub fn spawn(&self, server: &str, token: &str, desktop: &Desktop) -> Daemon {
        let mut child = Command::new(binary("notifyd"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("NOTIFY_CONFIG", self.dir.join("no-config.toml"))
            .env("NOTIFY_SERVER", server)
            .env("NOTIFY_TOKEN", token)
            .env("NOTIFYD_SOCKET", &self.socket)
            .env("NOTIFYD_STATE_DIR", &self.state)
            .env("NOTIFYD_DEVICE", "testbox")
            .env("DBUS_SESSION_BUS_ADDRESS", &desktop.bus)
            .env("NOTIFY_LOG", "info,notifyd=debug")
            .envs(unit_environment())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start notifyd");
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::clone(&log);
        let stderr = child.stderr.take().expect("piped stderr");
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        });
        Daemon { child, log }
    }

    /// `notify` with this daemon's socket, the server and the token.
    pub fn notify(&self, server: &str, token: &str) -> Command {
        let mut command = crate::cli::notify(server, token);
        command.env("NOTIFYD_SOCKET", &self.socket);
        command
    }
}

impl Default for DaemonHome {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DaemonHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Daemon {
    /// Waits until a log line contains `text` (panics after 20 s with the log).
    pub async fn wait_log(&self, text: &str) {
        for _ in 0..400 {
            if self.log().iter().any(|line| line.contains(text)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "notifyd never logged {text:?}; its log:\n{}",
            self.log().join("\n")
        );
    }

    /// How many times it started consuming its queue (1 + the reconnections so far).
    pub fn connections(&self) -> usize {
        self.log()
            .iter()
            .filter(|line| line.contains("consuming"))
            .count()
    }

    /// The log so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Kills it with SIGKILL and waits for it to die.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("kill -9 notifyd");
    }

    /// Sends SIGTERM and returns its exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill -TERM");
        tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("notifyd stopped within 15 s of SIGTERM")
            .expect("wait")
    }
}

/// The `Environment=` settings of notifyd's systemd unit: tests and the benchmark run notifyd
/// as the unit does.
fn unit_environment() -> impl Iterator<Item = (&'static str, &'static str)> {
    include_str!("../../daemon/systemd/notifyd.service")
        .lines()
        .filter_map(|line| line.strip_prefix("Environment="))
        .filter_map(|setting| setting.split_once('='))
}
