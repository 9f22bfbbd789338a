//! `notify count`: the number of unread notifications and nothing else, for prompts and status
//! bars.
//!
//! notifyd keeps the count, so it is asked first: no network round trip. Without a daemon (or
//! with one serving another server) the server answers (`GET /v1/inbox/count`), silently; the
//! output is the same either way.

use std::io::Write;

use notify_shared::config::ClientConfig;
use notify_shared::views::UnreadCount;

use crate::cli::Globals;
use crate::client::Client;
use crate::error::Error;
use crate::notifyd::{Daemon, or_fallback};
use crate::output::{Mode, write_json, write_line};

/// Runs `notify count`.
pub async fn run(globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let config = ClientConfig::load(globals.server.clone())?;
    let daemon = Daemon::local(&config.server, globals.verbose).count().await;
    let count = match or_fallback(daemon, globals.verbose)? {
        Some(unread) => UnreadCount { unread },
        None => {
            Client::new(&config, globals.verbose)?
                .unread_count()
                .await?
        }
    };
    match Mode::of(globals) {
        Mode::Human => write_line(out, count.unread),
        Mode::Json => write_json(out, &count),
        Mode::Quiet => Ok(()),
    }
}
