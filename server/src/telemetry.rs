//! Logging: `tracing` to stderr (journald picks it up), filtered by `NOTIFY_LOG`.

use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter, for example `debug` or `notify_server=trace`.
pub const ENV_FILTER: &str = "NOTIFY_LOG";

/// Installs the global subscriber; `info` unless `NOTIFY_LOG` says otherwise.
pub fn init() {
    let filter = EnvFilter::try_from_env(ENV_FILTER).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
