//! Runs the real `notify` binary with a clean environment pointed at a test server.

use std::path::PathBuf;
use std::process::Output;

use tokio::process::Command;

use crate::binary;

/// `notify` with `NOTIFY_SERVER` and `NOTIFY_TOKEN` set and no configuration file.
pub fn notify(server: &str, token: &str) -> Command {
    let mut command = Command::new(binary("notify"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("NOTIFY_CONFIG", missing_config())
        // Never a daemon of someone else's (a developer's own notifyd): tests that want one
        // point this at their own.
        .env(
            "NOTIFYD_SOCKET",
            std::env::temp_dir().join(format!("notify-test-{}/no.sock", uuid::Uuid::now_v7())),
        )
        .env("NOTIFY_SERVER", server)
        .env("NOTIFY_TOKEN", token);
    command
}

/// A configuration path that does not exist.
pub fn missing_config() -> PathBuf {
    std::env::temp_dir().join(format!("notify-test-{}.toml", uuid::Uuid::now_v7()))
}

/// Runs `command` with `args`, returning its output.
pub async fn run(mut command: Command, args: &[&str]) -> Output {
    command.args(args).output().await.expect("run notify")
}

/// stdout as a string.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as a string.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
