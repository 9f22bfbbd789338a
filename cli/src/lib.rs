//! The `notify` command-line client: argument definitions, subcommands, the HTTP client and
//! the client of the local daemon, notifyd.
//!
//! `main.rs` only parses arguments, picks a runtime and turns an [`Error`] into an exit code;
//! everything else lives here so tests can run a command in-process. Commands write data to
//! the writer they are given (stdout in the binary) and nothing else; notes, warnings and
//! errors go to stderr. This crate never prints a token.

pub mod cli;
pub mod client;
pub mod commands;
pub mod deliveries;
pub mod duration;
pub mod error;
pub mod exit;
#[cfg(test)]
mod fixtures;
pub mod listing;
pub mod notifyd;
pub mod output;
pub mod render;
pub mod style;
pub mod table;
pub mod wait;
pub mod when;

use std::io::Write;

pub use cli::Cli;
pub use error::Error;
pub use exit::Exit;

use cli::{Command, ConfigCommand, DaemonCommand};

/// Runs `cli` when it needs neither the network nor an async runtime; `None` when it does
/// (then call [`run`] inside a runtime).
pub fn run_local(cli: &Cli, out: &mut dyn Write) -> Option<Result<(), Error>> {
    if cli.needs_network() {
        return None;
    }
    let globals = &cli.globals;
    match &cli.command {
        Command::Config(ConfigCommand::Path) => Some(commands::config::path(globals, out)),
        Command::Completions(args) => Some(commands::completions::run(*args, out)),
        Command::Daemon(DaemonCommand::Run(args)) => {
            Some(commands::daemon::run(args.clone(), globals))
        }
        Command::Daemon(DaemonCommand::Install(args)) => {
            Some(commands::daemon::install(*args, globals, out))
        }
        _ => None,
    }
}

/// Runs any command, writing its data to `out`.
pub async fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    let Cli { globals, command } = cli;
    match command {
        Command::Send(args) => commands::send::run(args, &globals, out).await,
        Command::List(args) => commands::list::run(args, &globals, out).await,
        Command::Show(args) => commands::show::run(args, &globals, out).await,
        Command::Read(args) => commands::read::read(args, &globals, out).await,
        Command::Unread(args) => commands::read::unread(args, &globals, out).await,
        Command::Cancel(args) => commands::read::cancel(args, &globals, out).await,
        Command::Run(args) => commands::run::run(args, &globals, out).await,
        Command::Count => commands::count::run(&globals, out).await,
        Command::Sent(args) => commands::sent::run(args, &globals, out).await,
        Command::Status(args) => commands::status::run(args, &globals, out).await,
        Command::Prefs(args) => commands::prefs::run(args, &globals, out).await,
        Command::Watch(args) => commands::watch::run(args, &globals, out).await,
        Command::Daemon(DaemonCommand::Status) => commands::daemon::status(&globals, out).await,
        Command::Daemon(DaemonCommand::Run(args)) => commands::daemon::run(args, &globals),
        Command::Daemon(DaemonCommand::Install(args)) => {
            commands::daemon::install(args, &globals, out)
        }
        Command::Config(ConfigCommand::Show) => commands::config::show(&globals, out).await,
        Command::Config(ConfigCommand::Path) => commands::config::path(&globals, out),
        Command::Login(args) => commands::login::run(args, &globals, out).await,
        Command::Completions(args) => commands::completions::run(args, out),
    }
}
