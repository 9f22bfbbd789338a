//! Logging: `tracing` to stderr (journald picks it up), filtered by `NOTIFY_LOG`.
//!
//! It must not write logs anywhere but stderr.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter, for example `debug` or `notify_server=trace`.
pub const ENV_FILTER: &str = "NOTIFY_LOG";

/// The filter without `NOTIFY_LOG`. lapin logs every returned (unroutable) message in full at
/// warn; the relay logs those itself, briefly.
const DEFAULT_FILTER: &str = "info,lapin::returned_messages=error,sqlx::postgres::notice=warn";

/// Installs the global subscriber; colours only on a terminal.
pub fn init() {
    let filter =
        EnvFilter::try_from_env(ENV_FILTER).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
