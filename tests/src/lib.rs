//! Test harness: every test gets its own write database (migrated) and its own RabbitMQ vhost
//! on the real services that `scripts/services` starts, so tests run in parallel. It starts
//! the real `notify-server` and `notify` binaries, and taps the `notify.events` exchange.

pub mod api;
pub mod browser;
pub mod checker;
pub mod cli;
pub mod daemon;
pub mod desktop;
pub mod fleet;
pub mod outage;
pub mod proxy;
pub mod rebuild;
pub mod server;
pub mod services;
pub mod smtp;
pub mod sse;
pub mod tap;
pub mod webhook;

pub use services::TestEnv;

/// The path of a binary of this workspace, built next to the running executable: a test in
/// `target/<profile>/deps/` (`cargo build --workspace --bins`, which `scripts/test` runs
/// first), or `notify-bench` in `target/<profile>/`.
pub fn binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("executable path");
    let mut dir = exe.parent().expect("target directory");
    if dir.ends_with("deps") {
        dir = dir.parent().expect("target directory");
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test does)",
        path.display()
    );
    path
}
