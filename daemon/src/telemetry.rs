//! Logging: tracing to stderr (journald under systemd), filtered by `NOTIFY_LOG` (default
//! `info`), without colours when stderr is not a terminal.
//!
//! Called once from `main`; nothing else configures logging.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The variable holding the log filter (`debug`, `notifyd=debug,lapin=warn`, ...).
pub const ENV_LOG: &str = "NOTIFY_LOG";

/// Installs the global subscriber.
pub fn init() {
    let filter = EnvFilter::try_from_env(ENV_LOG).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
