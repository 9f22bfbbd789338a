//! The `notify` binary: parses arguments, runs the command, and turns its error into an exit
//! code. No logic lives here (see `lib.rs`); `--version` and `--help` are answered by clap
//! before any runtime, configuration or network is touched.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use notify_cli::{Cli, Error};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Styles reach the terminal only when colour is wanted (not piped, no NO_COLOR).
    let mut stdout = anstream::AutoStream::auto(io::stdout().lock());
    let result = match notify_cli::run_local(&cli, &mut stdout) {
        Some(result) => result,
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
            .and_then(|runtime| runtime.block_on(notify_cli::run(cli, &mut stdout))),
    }
    .and_then(|()| stdout.flush().map_err(Error::Output));

    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`notify send hi | head -c0`) is not our failure.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        // `notify run` passes on its command's exit code; the command already said why.
        Err(Error::CommandFailed { code }) => ExitCode::from(code),
        Err(error) => {
            error.report(&mut anstream::stderr());
            ExitCode::from(error.status())
        }
    }
}
