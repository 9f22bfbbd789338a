//! How commands print: data on the writer they are given (stdout), notes on stderr.
//!
//! Nothing here decides what to print; commands do. JSON is one compact document per command,
//! followed by a newline, so scripts can pipe it to `jq`.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

use crate::cli::Globals;
use crate::error::Error;

/// What kind of output the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Text for people (the default).
    Human,
    /// One JSON document (`--json`).
    Json,
    /// Nothing on stdout (`-q`).
    Quiet,
}

impl Mode {
    /// The mode the global flags select.
    pub fn of(globals: &Globals) -> Self {
        if globals.quiet {
            Self::Quiet
        } else if globals.json {
            Self::Json
        } else {
            Self::Human
        }
    }
}

/// Writes `value` as one line of JSON.
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> Result<(), Error> {
    let text = serde_json::to_string(value)
        .map_err(|e| Error::Internal(format!("cannot encode the output: {e}")))?;
    writeln!(out, "{text}").map_err(Error::Output)
}

/// Writes one line of text.
pub fn write_line(out: &mut dyn Write, line: impl Display) -> Result<(), Error> {
    writeln!(out, "{line}").map_err(Error::Output)
}

/// Prints one line on stderr, for people: an empty listing, the next page, a notice.
pub fn tell(message: impl Display) {
    // A closed stderr must not fail the command; the line was for a person who is not there.
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// Prints a `-v` note on stderr.
pub fn note(verbose: bool, message: impl Display) {
    if verbose {
        // A closed stderr must not fail the command; the note was optional anyway.
        let _ = writeln!(std::io::stderr().lock(), "notify: {message}");
    }
}
