//! `notify count`: the number of unread notifications and nothing else, for prompts and status
//! bars.
//!
//! For now it asks the server; once notifyd runs, it will ask the daemon first.

use std::io::Write;

use crate::cli::Globals;
use crate::error::Error;
use crate::output::{Mode, write_json, write_line};

/// Runs `notify count`.
pub async fn run(globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let count = super::connect(globals)?.unread_count().await?;
    match Mode::of(globals) {
        Mode::Human => write_line(out, count.unread),
        Mode::Json => write_json(out, &count),
        Mode::Quiet => Ok(()),
    }
}
