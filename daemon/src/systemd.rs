//! sd-notify messages to systemd (`Type=notify`): `READY=1` once the socket listens,
//! `STATUS=` as the broker connection comes and goes, `STOPPING=1` on shutdown.
//!
//! Without `NOTIFY_SOCKET` (not under systemd) every call does nothing. Failures are logged
//! at debug level and never stop the daemon.

use sd_notify::NotifyState;

fn send(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(false, states) {
        tracing::debug!(%error, "cannot notify systemd");
    }
}

/// The daemon is ready (its socket listens).
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A new status line for `systemctl status`.
pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// The daemon is stopping.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}
