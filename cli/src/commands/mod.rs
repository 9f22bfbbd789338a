//! One module per subcommand. Each takes its parsed arguments, the global flags and the
//! stdout writer, and returns an [`Error`] rather than printing one.

pub mod completions;
pub mod config;
pub mod count;
pub mod daemon;
pub mod list;
pub mod login;
pub mod prefs;
pub mod read;
pub mod run;
pub mod send;
pub mod sent;
pub mod show;
pub mod status;
pub mod watch;

use notify_shared::config::ClientConfig;

use crate::cli::Globals;
use crate::client::Client;
use crate::error::Error;

/// A client for the server and token the configuration and flags name.
pub(crate) fn connect(globals: &Globals) -> Result<Client, Error> {
    let config = ClientConfig::load(globals.server.clone())?;
    Client::new(&config, globals.verbose)
}
