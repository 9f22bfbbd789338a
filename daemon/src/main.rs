//! `notifyd`: parses the command line, starts logging and the runtime, and turns errors into
//! an exit code (2 for configuration errors retrying cannot fix; see `daemon::Exit`).
//!
//! It must not hold daemon logic: that is `daemon.rs` and the components it starts.

use clap::Parser;
use notifyd::cli::Args;
use notifyd::{daemon, telemetry};

fn main() {
    let args = Args::parse();
    telemetry::init();
    // One thread does all the daemon's waiting; file syncs go to at most two more. Each thread
    // costs stack and an allocator arena, and the resident set is a figure users see.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("notifyd: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let code = match runtime.block_on(daemon::run(args)) {
        Ok(()) => 0,
        Err(error) => {
            tracing::error!("{error:#}");
            daemon::exit_code(&error)
        }
    };
    // Leave the popup thread and blocking tasks behind rather than wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    std::process::exit(code);
}
