//! The bulk rebuild's rows as `COPY ... FROM STDIN` data (PostgreSQL's text format), one
//! buffer per table.
//!
//! It only encodes: it decides nothing about what a row holds (that is [`super::fold`]) and
//! sends nothing (that is [`super::target`]).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use super::fold::Rows;

/// A table's rows in COPY's text format, and the statement that loads them.
#[derive(Debug)]
pub struct Table {
    pub statement: &'static str,
    pub data: String,
}

/// Encodes `rows`, table by table; tables without rows are left out.
pub fn encode(rows: &Rows) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut table = |statement: &'static str, fill: &dyn Fn(&mut Line)| {
        let mut line = Line::default();
        fill(&mut line);
        if !line.data.is_empty() {
            tables.push(Table {
                statement,
                data: line.data,
            });
        }
    };
    table(
        "COPY notifications (id, operation_id, sender, recipient, title, body, priority, tags, \
         channels, thread, status, requested_at, deliver_at, dispatched_at, read_at) FROM STDIN",
        &|line| {
            for n in &rows.notifications {
                line.uuid(n.id)
                    .uuid(n.operation_id)
                    .text(n.sender.as_str())
                    .text(n.recipient.as_str())
                    .optional(n.title.as_deref())
                    .text(&n.body)
                    .text(n.priority.as_str())
                    .array(n.tags.iter().map(String::as_str))
                    .array(n.channels.iter().map(|c| c.as_str()))
                    .optional(n.thread.as_deref())
                    .text(n.status.as_str())
                    .time(Some(n.requested_at))
                    .time(n.deliver_at)
                    .time(n.dispatched_at)
                    .time(n.read_at)
                    .end();
            }
        },
    );
    table(
        "COPY deliveries (id, notification_id, channel, address, status, attempts, detail, \
         updated_at) FROM STDIN",
        &|line| {
            for d in &rows.deliveries {
                line.uuid(d.id)
                    .uuid(d.notification_id)
                    .text(d.channel.as_str())
                    .text(&d.address)
                    .text(d.status.as_str())
                    .number(d.attempts.into())
                    .optional(d.detail.as_deref())
                    .time(Some(d.updated_at))
                    .end();
            }
        },
    );
    table(
        "COPY timeline (event_id, notification_id, sequence, kind, time, source, operation_id, \
         data) FROM STDIN",
        &|line| {
            for h in &rows.timeline {
                line.uuid(h.event_id)
                    .uuid(h.notification_id)
                    .number(h.sequence.into())
                    .text(h.kind)
                    .time(Some(h.time))
                    .text(&h.source)
                    .uuid(h.operation_id)
                    .text(&h.data)
                    .end();
            }
        },
    );
    table(
        "COPY operations (id, requester, kind, status, resolved_at) FROM STDIN",
        &|line| {
            for o in &rows.operations {
                line.uuid(o.id)
                    .text(o.requester.as_str())
                    .text(o.kind.as_str())
                    .text(o.status.as_str())
                    .time(o.resolved_at)
                    .end();
            }
        },
    );
    table(
        "COPY operation_notifications (operation_id, notification_id) FROM STDIN",
        &|line| {
            for (operation, notification) in &rows.links {
                line.uuid(*operation).uuid(*notification).end();
            }
        },
    );
    table(
        "COPY inboxes (user_id, read_all_up_to) FROM STDIN",
        &|line| {
            for (user, up_to) in &rows.inboxes {
                line.text(user.as_str()).time(Some(*up_to)).end();
            }
        },
    );
    table(
        "COPY preferences (user_id, channels, email, webhook_url, webhook_secret_set) FROM STDIN",
        &|line| {
            for p in &rows.preferences {
                line.text(p.user_id.as_str())
                    .array(p.channels.iter().map(|c| c.as_str()))
                    .optional(p.email.as_deref())
                    .optional(p.webhook_url.as_deref())
                    .text(if p.webhook_secret_set { "t" } else { "f" })
                    .end();
            }
        },
    );
    table(
        "COPY user_deletions (user_id, deleted_at) FROM STDIN",
        &|line| {
            for (user, at) in &rows.user_deletions {
                line.text(user.as_str()).time(Some(*at)).end();
            }
        },
    );
    table("COPY applied_events (event_id) FROM STDIN", &|line| {
        for id in &rows.applied_events {
            line.uuid(*id).end();
        }
    });
    table(
        "COPY aggregate_versions (aggregate_id, version) FROM STDIN",
        &|line| {
            for (aggregate, version) in &rows.aggregate_versions {
                line.uuid(*aggregate).number((*version).into()).end();
            }
        },
    );
    tables
}

/// Lines of COPY text: fields separated by tabs, `\N` for NULL, backslash escapes.
#[derive(Debug, Default)]
struct Line {
    data: String,
    /// Whether the current line has a field yet.
    started: bool,
}

impl Line {
    fn field(&mut self) -> &mut String {
        if self.started {
            self.data.push('\t');
        }
        self.started = true;
        &mut self.data
    }

    fn uuid(&mut self, id: Uuid) -> &mut Self {
        let _ = write!(self.field(), "{}", id.hyphenated());
        self
    }

    fn number(&mut self, n: i64) -> &mut Self {
        let _ = write!(self.field(), "{n}");
        self
    }

    fn text(&mut self, s: &str) -> &mut Self {
        escape(self.field(), s);
        self
    }

    fn optional(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => {
                self.field().push_str("\\N");
                self
            }
        }
    }

    /// A timestamp with its offset, to the microsecond (as the database keeps it).
    fn time(&mut self, time: Option<DateTime<Utc>>) -> &mut Self {
        match time {
            Some(time) => {
                let _ = write!(self.field(), "{}", time.format("%Y-%m-%d %H:%M:%S%.6f+00"));
            }
            None => self.field().push_str("\\N"),
        }
        self
    }

    /// A text array: every element quoted, `"` and `\` escaped inside the literal, and the
    /// literal escaped as any text is.
    fn array<'a>(&mut self, elements: impl Iterator<Item = &'a str>) -> &mut Self {
        let mut literal = String::from("{");
        for (i, element) in elements.enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in element.chars() {
                if matches!(c, '"' | '\\') {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        self.text(&literal)
    }

    fn end(&mut self) {
        self.data.push('\n');
        self.started = false;
    }
}

/// Appends `s` with COPY's text-format escapes.
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_nulls_arrays_and_times_are_escaped_as_copy_reads_them() {
        let mut line = Line::default();
        line.text("a\tb\\c\nd")
            .optional(None)
            .array(["x", "say \"hi\"", "back\\slash"].into_iter())
            .time(Some(
                DateTime::parse_from_rfc3339("2026-12-06T18:45:53.123456789Z")
                    .expect("time")
                    .with_timezone(&Utc),
            ))
            .end();
        assert_eq!(
            line.data,
            "a\\tb\\\\c\\nd\t\\N\t{\"x\",\"say \\\\\"hi\\\\\"\",\"back\\\\\\\\slash\"}\t\
             2026-12-06 18:45:53.123456+00\n"
        );
    }
}
