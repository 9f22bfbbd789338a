//! `notifyd`, the per-user daemon. For now it only answers `--help` and `--version`; the
//! broker subscription, popups and the local socket come with the daemon issue.

use clap::Parser;

/// The per-user daemon of notify: desktop popups, the unread count, and waits for the CLI.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {}

fn main() {
    Args::parse();
    eprintln!("notifyd: not implemented yet; notify works without it");
    std::process::exit(2);
}
