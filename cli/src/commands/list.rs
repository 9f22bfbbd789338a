//! `notify list`: one page of the inbox, newest first.
//!
//! A row is: `●` when unread (a space when read), the id, how long ago it arrived, the sender,
//! and the headline. Paging, the empty case and `--json` are in [`crate::listing`].
//!
//! It must not print the sender's text as it came: the headline goes through `notify_shared::text`.

use std::io::Write;

use chrono::{DateTime, Local, Utc};
use notify_shared::views::{InboxQuery, NotificationView};

use crate::cli::{Globals, ListArgs};
use crate::error::Error;
use crate::listing::{self, Listing};
use crate::render::{headline, relative};
use crate::table::Row;

/// Marks an unread notification.
pub const UNREAD: &str = "●";

/// Runs `notify list`.
pub async fn run(args: ListArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let client = super::connect(globals)?;
    let page = client.inbox(&query(&args)).await?;
    let now = Utc::now();
    let listing = Listing {
        empty: "no notifications",
        again: again(&args, globals),
    };
    listing.show(&page, |view| row(view, now), globals, out)
}

/// The query for `args`.
pub fn query(args: &ListArgs) -> InboxQuery {
    InboxQuery {
        unread: args.unread.then_some(true),
        tag: args.tag.clone(),
        q: args.search.clone(),
        before: args.page.before.clone(),
        limit: args.page.limit,
    }
}

/// One table row.
pub fn row(view: &NotificationView, now: DateTime<Utc>) -> Row {
    let marker = if view.read_at.is_none() { UNREAD } else { " " };
    Row {
        cells: vec![
            marker.to_owned(),
            view.id.to_string(),
            relative(listing::when(view), now, &Local),
            view.sender.to_string(),
        ],
        text: headline(view.title.as_deref(), &view.body),
        style: crate::style::of_inbox_row(view),
    }
}

/// This command line without `--before`, to print with the next cursor.
fn again(args: &ListArgs, globals: &Globals) -> Vec<String> {
    let mut words = listing::command_line("list", globals, &args.page);
    if args.unread {
        words.push("--unread".into());
    }
    if let Some(tag) = &args.tag {
        words.extend(["--tag".into(), tag.clone()]);
    }
    if let Some(search) = &args.search {
        words.extend(["--search".into(), search.clone()]);
    }
    words
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::cli::PageArgs;
    use crate::fixtures::view;

    #[test]
    fn a_row_has_marker_id_age_sender_and_headline() {
        let now = Utc::now();
        let unread = view(now - Duration::minutes(5));
        assert_eq!(
            row(&unread, now),
            Row {
                cells: vec![
                    "●".into(),
                    "ffffffff-ffff-ffff-ffff-ffffffffffff".into(),
                    "5m ago".into(),
                    "alice".into()
                ],
                text: "Deploy of api finished".into(),
                style: crate::style::UNREAD,
            }
        );
        let read = NotificationView {
            read_at: Some(now),
            title: None,
            body: "\x1b[31mred\x1b[0m alert\nmore".into(),
            ..view(now - Duration::hours(3))
        };
        let read = row(&read, now);
        assert_eq!(read.cells[0], " ");
        assert_eq!(read.style, anstyle::Style::new(), "read rows are plain");
        assert_eq!(read.cells[2], "3h ago");
        assert_eq!(read.text, "[31mred[0m alert");
    }

    #[test]
    fn filters_become_the_query_and_the_next_command() {
        let args = ListArgs {
            unread: true,
            tag: Some("ci".into()),
            search: Some("disk full".into()),
            page: PageArgs {
                limit: Some(10),
                before: Some("c0".into()),
            },
        };
        let query = query(&args);
        assert_eq!(query.unread, Some(true));
        assert_eq!(query.q.as_deref(), Some("disk full"));
        assert_eq!(query.before.as_deref(), Some("c0"));
        assert_eq!(query.limit, Some(10));
        let listing = Listing {
            empty: "",
            again: again(&args, &Globals::default()),
        };
        assert_eq!(
            listing.more("c1"),
            "more: notify list --limit 10 --unread --tag ci --search 'disk full' --before c1"
        );
        assert_eq!(super::query(&ListArgs::default()), InboxQuery::default());
    }
}
