//! `notify daemon run|status|install`: notifyd in the foreground, how it is doing, and its
//! systemd user unit.
//!
//! `run` and `install` need neither the network nor a runtime. `status` asks the daemon and
//! has no fallback: no daemon is exit 3, with how to start one.

mod binary;
mod unit;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use notify_shared::local::{DaemonStatus, socket_path};

use self::unit::{Installed, NEXT_STEPS};
use crate::cli::{DaemonInstallArgs, DaemonRunArgs, Globals};
use crate::duration::format_duration;
use crate::error::Error;
use crate::notifyd::Daemon;
use crate::output::{Mode, note, write_json};

/// Runs `notify daemon run`: becomes notifyd, so that signals and the exit code are its own.
/// Returns only if notifyd could not be started.
pub fn run(args: DaemonRunArgs, globals: &Globals) -> Result<(), Error> {
    use std::os::unix::process::CommandExt;
    let notifyd = binary::find()?;
    note(
        globals.verbose,
        format_args!("running {}", notifyd.display()),
    );
    let error = std::process::Command::new(&notifyd).args(&args.args).exec();
    Err(Error::Exec {
        path: notifyd,
        reason: crate::client::phrase(&error.to_string()),
    })
}

/// Runs `notify daemon status`.
pub async fn status(globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    // Whichever server it serves: the status says which.
    let daemon = Daemon::at(socket_path(), globals.verbose);
    let status = daemon.status().await?;
    match Mode::of(globals) {
        Mode::Human => out
            .write_all(text(&status, daemon.socket()).as_bytes())
            .map_err(Error::Output),
        Mode::Json => write_json(out, &status),
        Mode::Quiet => Ok(()),
    }
}

/// The status as `key  value` lines.
pub fn text(status: &DaemonStatus, socket: &Path) -> String {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    let rows = [
        ("version", status.version.clone()),
        (
            "user",
            or_dash(status.user.as_ref().map(ToString::to_string)),
        ),
        ("device", or_dash(status.device.clone())),
        ("server", status.server.clone()),
        (
            "connected",
            if status.connected { "yes" } else { "no" }.into(),
        ),
        ("unread", status.unread.to_string()),
        ("shown", status.shown.to_string()),
        ("pending receipts", status.pending_receipts.to_string()),
        (
            "uptime",
            format_duration(Duration::from_secs(status.uptime_s)),
        ),
        ("socket", socket.display().to_string()),
    ];
    rows.iter()
        .map(|(key, value)| format!("{key:<18}{value}\n"))
        .collect()
}

/// Runs `notify daemon install`.
pub fn install(
    args: DaemonInstallArgs,
    globals: &Globals,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let notifyd = binary::find()?;
    let path = unit::path()?;
    let rendered = unit::render(unit::TEMPLATE, &notifyd)?;
    let installed = unit::install(&path, &rendered, args.force)?;
    match Mode::of(globals) {
        Mode::Human => {
            let done = match installed {
                Installed::Written => "installed",
                Installed::Unchanged => "already installed",
            };
            writeln!(
                out,
                "{done} {} (runs {})\nnext: {NEXT_STEPS}",
                path.display(),
                notifyd.display()
            )
            .map_err(Error::Output)
        }
        Mode::Json => write_json(
            out,
            &serde_json::json!({
                "unit": path,
                "notifyd": notifyd,
                "changed": installed == Installed::Written,
                "next": NEXT_STEPS,
            }),
        ),
        Mode::Quiet => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_shared::UserId;

    #[test]
    fn status_is_one_line_per_field() {
        let status = DaemonStatus {
            version: "0.1.0".into(),
            user: Some(UserId::parse("alice").expect("valid")),
            device: None,
            server: "http://127.0.0.1:8080".into(),
            connected: true,
            unread: 3,
            shown: 12,
            pending_receipts: 0,
            uptime_s: 7_985,
        };
        assert_eq!(
            text(&status, Path::new("/run/user/1000/notify/notifyd.sock")),
            "\
version           0.1.0
user              alice
device            -
server            http://127.0.0.1:8080
connected         yes
unread            3
shown             12
pending receipts  0
uptime            2h13m5s
socket            /run/user/1000/notify/notifyd.sock
"
        );
    }
}
