//! Pages of notifications, as `list` and `sent` print them: a table on stdout, and on stderr
//! either `no notifications` or the command that fetches the next page.
//!
//! Each command says what its rows hold and how to repeat its filters; the paging, the empty
//! case and `--json` are the same for both and live here.
//!
//! It must not know what a row holds: each command says.

use std::io::Write;

use chrono::{DateTime, Utc};
use notify_shared::views::{NotificationPage, NotificationView};

use crate::cli::{Globals, PageArgs};
use crate::error::Error;
use crate::output::{Mode, tell, write_json};
use crate::render::shell_word;
use crate::table::{self, Row};

/// How one command prints its pages.
#[derive(Debug)]
pub struct Listing<'a> {
    /// Printed on stderr instead of an empty table.
    pub empty: &'a str,
    /// The command line that gave this page, without `--before`: repeated, with the next
    /// cursor, under a full page.
    pub again: Vec<String>,
}

impl Listing<'_> {
    /// Prints `page`: a table of `row`s (cut to `width`), the whole page as JSON, or nothing.
    fn print(
        &self,
        page: &NotificationPage,
        row: impl Fn(&NotificationView) -> Row,
        width: Option<usize>,
        mode: Mode,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        match mode {
            Mode::Json => return write_json(out, page),
            Mode::Quiet => return Ok(()),
            Mode::Human => {}
        }
        if page.items.is_empty() {
            tell(self.empty);
        } else {
            let rows: Vec<Row> = page.items.iter().map(row).collect();
            out.write_all(table::render(&rows, width).as_bytes())
                .map_err(Error::Output)?;
        }
        if let Some(cursor) = &page.next_cursor {
            // The table must be out before the footer, in case both go to one terminal.
            out.flush().map_err(Error::Output)?;
            tell(self.more(cursor));
        }
        Ok(())
    }

    /// Prints `page` for the user: as wide as stdout, in the output mode `globals` ask for.
    pub fn show(
        &self,
        page: &NotificationPage,
        row: impl Fn(&NotificationView) -> Row,
        globals: &Globals,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        self.print(page, row, table::stdout_width(), Mode::of(globals), out)
    }

    /// `more: notify list --unread --before CURSOR`, quoted for a POSIX shell.
    pub fn more(&self, cursor: &str) -> String {
        let words: Vec<String> = self
            .again
            .iter()
            .map(String::as_str)
            .chain(["--before", cursor])
            .map(shell_word)
            .collect();
        format!("more: {}", words.join(" "))
    }
}

/// The start of a command line that repeats `subcommand` with the given global flags (only
/// `--server`: the cursor means nothing to another server) and `--limit`.
pub fn command_line(subcommand: &str, globals: &Globals, page: &PageArgs) -> Vec<String> {
    let mut words = vec!["notify".to_owned(), subcommand.to_owned()];
    if let Some(server) = &globals.server {
        words.extend(["--server".to_owned(), server.clone()]);
    }
    if let Some(limit) = page.limit {
        words.extend(["--limit".to_owned(), limit.to_string()]);
    }
    words
}

/// The time a listing shows for a notification: when it entered the inbox, else when it is
/// to (scheduled), else when it was requested.
pub fn when(view: &NotificationView) -> DateTime<Utc> {
    view.dispatched_at
        .or(view.deliver_at)
        .unwrap_or(view.requested_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_repeats_the_command_quoted() {
        let globals = Globals {
            server: Some("http://h:1".into()),
            ..Globals::default()
        };
        let page = PageArgs {
            limit: Some(20),
            before: Some("old".into()),
        };
        let mut again = command_line("list", &globals, &page);
        again.extend(["--search".to_owned(), "disk full".to_owned()]);
        let listing = Listing {
            empty: "no notifications",
            again,
        };
        assert_eq!(
            listing.more("MTcz=/x"),
            "more: notify list --server http://h:1 --limit 20 --search 'disk full' --before MTcz=/x"
        );
    }

    #[test]
    fn without_flags_only_the_cursor_is_added() {
        let listing = Listing {
            empty: "",
            again: command_line("sent", &Globals::default(), &PageArgs::default()),
        };
        assert_eq!(listing.more("c1"), "more: notify sent --before c1");
    }
}
