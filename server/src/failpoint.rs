//! Failpoints for the fault tests: `NOTIFY_FAILPOINTS=relay.after_confirm,...` makes the
//! process abort at the named points, as a SIGKILL would. Unset in production.
//!
//! It must not do anything at all while `NOTIFY_FAILPOINTS` is unset.

use std::sync::OnceLock;

/// The environment variable that names the armed failpoints, comma-separated.
pub const ENV: &str = "NOTIFY_FAILPOINTS";

/// Aborts the process when failpoint `name` is armed.
pub fn hit(name: &str) {
    static ARMED: OnceLock<Vec<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| {
        std::env::var(ENV)
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
            .unwrap_or_default()
    });
    if armed.iter().any(|a| a == name) {
        tracing::error!(failpoint = name, "failpoint hit, aborting");
        std::process::abort();
    }
}
