//! A real desktop notification server for one test: Xvfb, a private D-Bus session bus and
//! dunst, inspected with `dunstctl`. Everything is killed when dropped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One popup as dunst saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    /// The summary (title line) as sent.
    pub summary: String,
    /// The body as sent.
    pub body: String,
    /// `LOW`, `NORMAL` or `CRITICAL` (read from the per-urgency timeout of the test's dunstrc).
    pub urgency: String,
    /// The sending application.
    pub appname: String,
}

/// Xvfb + D-Bus + dunst.
#[derive(Debug)]
pub struct Desktop {
    /// `DBUS_SESSION_BUS_ADDRESS` for processes that show popups.
    pub bus: String,
    /// `DISPLAY`.
    pub display: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Desktop {
    /// Starts a private desktop session (panics with a hint when the tools are missing).
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("notify-desktop-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("desktop dir");
        let mut children = Vec::new();

        // Xvfb picks a free display itself and writes its number to the fd we give it.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "800x600x24",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start Xvfb (scripts/services installs xvfb)");
        let display = first_line(&mut xvfb, "Xvfb").await;
        let display = format!(":{}", display.trim());
        children.push(xvfb);

        let socket = dir.join("bus");
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start dbus-daemon");
        let bus = first_line(&mut dbus, "dbus-daemon").await.trim().to_owned();
        children.push(dbus);

        let config = dir.join("dunstrc");
        // Popups stay far longer than a test (so tests see them displayed), and each urgency gets
        // its own timeout: dunst's history does not record the urgency, but it records that.
        std::fs::write(&config, "[global]\n    history_length = 500\n    sticky_history = yes\n[urgency_low]\n    timeout = 1001\n[urgency_normal]\n    timeout = 1002\n[urgency_critical]\n    timeout = 1003\n")
            .expect("dunstrc");
        let dunst = Command::new("dunst")
            .arg("-config")
            .arg(&config)
            .env("DISPLAY", &display)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start dunst");
        children.push(dunst);
        let desktop = Self {
            bus,
            display,
            dir,
            children,
        };
        for _ in 0..100 {
            if desktop.dunstctl(&["count", "displayed"]).await.is_some() {
                return desktop;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("dunst did not come up on {}", desktop.display);
    }

    async fn dunstctl(&self, args: &[&str]) -> Option<String> {
        let output = Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()
            .await
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// How many popups are on screen.
    pub async fn displayed(&self) -> usize {
        self.dunstctl(&["count", "displayed"])
            .await
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The popups closed so far (dunst's history), oldest first; call [`Desktop::close_all`]
    /// first to include the ones on screen.
    pub async fn popups(&self) -> Vec<Popup> {
        let Some(json) = self.dunstctl(&["history"]).await else {
            return Vec::new();
        };
        let history: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        let mut popups: Vec<(i64, Popup)> = history["data"][0]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|n| {
                        let text =
                            |key: &str| n[key]["data"].as_str().unwrap_or_default().to_owned();
                        let id = n["id"]["data"].as_i64().unwrap_or_default();
                        let urgency =
                            match n["timeout"]["data"].as_i64().unwrap_or_default() / 1_000_000 {
                                1001 => "LOW",
                                1002 => "NORMAL",
                                1003 => "CRITICAL",
                                _ => "UNKNOWN (the sender set its own timeout)",
                            };
                        let popup = Popup {
                            summary: text("summary"),
                            body: text("body"),
                            urgency: urgency.to_owned(),
                            appname: text("appname"),
                        };
                        (id, popup)
                    })
                    .collect()
            })
            .unwrap_or_default();
        popups.sort_by_key(|(id, _)| *id);
        popups.into_iter().map(|(_, popup)| popup).collect()
    }

    /// Closes every popup on screen (they move to the history).
    pub async fn close_all(&self) {
        self.dunstctl(&["close-all"]).await;
    }

    /// Invokes the action of the popup on top, as a click would.
    pub async fn click(&self) {
        self.dunstctl(&["action", "0"])
            .await
            .expect("dunstctl action");
    }

    /// Waits until `n` popups are on screen (panics after 20 s).
    pub async fn wait_displayed(&self, n: usize) {
        for _ in 0..400 {
            if self.displayed().await >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "only {} of {n} popups were displayed",
            self.displayed().await
        );
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn first_line(child: &mut Child, what: &str) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("{what} did not start"))
        .expect("read stdout")
        .unwrap_or_else(|| panic!("{what} exited"))
}
