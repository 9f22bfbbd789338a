//! The bulk rebuild's rows as `COPY ... FROM STDIN` data in PostgreSQL's binary format (no
//! text for the database to parse: uuids, times and numbers go as they are stored), one buffer
//! per table.
//!
//! It only encodes: it decides nothing about what a row holds (that is [`super::fold`]) and
//! sends nothing (that is [`super::target`]).

use chrono::{DateTime, TimeZone, Utc};
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use super::fold::Rows;

/// A table's rows in COPY's binary format, and the statement that loads them.
#[derive(Debug)]
pub struct Table {
    pub statement: String,
    pub data: Vec<u8>,
}

/// Encodes `rows`, table by table; tables without rows are left out.
pub fn encode(rows: &Rows) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut table = |statement: &str, fill: &dyn Fn(&mut Tuples)| {
        let mut tuples = Tuples::default();
        fill(&mut tuples);
        if tuples.count > 0 {
            tables.push(Table {
                statement: format!("{statement} FROM STDIN (FORMAT binary)"),
                data: tuples.finish(),
            });
        }
    };
    table(
        "COPY notifications (id, operation_id, sender, recipient, title, body, priority, tags, \
         channels, thread, status, requested_at, deliver_at, dispatched_at, read_at)",
        &|tuples| {
            for n in &rows.notifications {
                tuples
                    .uuid(n.id)
                    .uuid(n.operation_id)
                    .text(n.request.sender.as_str())
                    .text(n.request.recipient.as_str())
                    .optional(n.request.title.as_deref())
                    .text(&n.request.body)
                    .text(n.request.priority.as_str())
                    .array(n.request.tags.iter().map(String::as_str))
                    .array(n.request.channels.iter().map(|c| c.as_str()))
                    .optional(n.request.thread.as_deref())
                    .text(n.status.as_str())
                    .time(Some(n.requested_at))
                    .time(n.request.deliver_at)
                    .time(n.dispatched_at)
                    .time(n.read_at)
                    .end();
            }
        },
    );
    table(
        "COPY deliveries (id, notification_id, channel, address, status, attempts, detail, \
         updated_at)",
        &|tuples| {
            for d in &rows.deliveries {
                tuples
                    .uuid(d.id)
                    .uuid(d.notification_id)
                    .text(d.channel.as_str())
                    .text(&d.address)
                    .text(d.status.as_str())
                    .int(d.attempts)
                    .optional(d.detail.as_deref())
                    .time(Some(d.updated_at))
                    .end();
            }
        },
    );
    table(
        "COPY timeline (event_id, notification_id, sequence, kind, time, source, operation_id, \
         data)",
        &|tuples| {
            for h in &rows.timeline {
                tuples
                    .uuid(h.event_id)
                    .uuid(h.notification_id)
                    .int(h.sequence)
                    .text(h.kind)
                    .time(Some(h.time))
                    .text(&h.source)
                    .uuid(h.operation_id)
                    .jsonb(&h.data)
                    .end();
            }
        },
    );
    table(
        "COPY operations (id, requester, kind, status, resolved_at)",
        &|tuples| {
            for o in &rows.operations {
                tuples
                    .uuid(o.id)
                    .text(o.requester.as_str())
                    .text(o.kind.as_str())
                    .text(o.status.as_str())
                    .time(o.resolved_at)
                    .end();
            }
        },
    );
    table(
        "COPY operation_notifications (operation_id, notification_id)",
        &|tuples| {
            for (operation, notification) in &rows.links {
                tuples.uuid(*operation).uuid(*notification).end();
            }
        },
    );
    table("COPY inboxes (user_id, read_all_up_to)", &|tuples| {
        for (user, up_to) in &rows.inboxes {
            tuples.text(user.as_str()).time(Some(*up_to)).end();
        }
    });
    table(
        "COPY preferences (user_id, channels, email, webhook_url, webhook_secret_set)",
        &|tuples| {
            for p in &rows.preferences {
                tuples
                    .text(p.user_id.as_str())
                    .array(p.channels.iter().map(|c| c.as_str()))
                    .optional(p.email.as_deref())
                    .optional(p.webhook_url.as_deref())
                    .bool(p.webhook_secret_set)
                    .end();
            }
        },
    );
    table("COPY user_deletions (user_id, deleted_at)", &|tuples| {
        for (user, at) in &rows.user_deletions {
            tuples.text(user.as_str()).time(Some(*at)).end();
        }
    });
    table("COPY applied_events (event_id)", &|tuples| {
        for id in &rows.applied_events {
            tuples.uuid(*id).end();
        }
    });
    table(
        "COPY aggregate_versions (aggregate_id, version)",
        &|tuples| {
            for (aggregate, version) in &rows.aggregate_versions {
                tuples.uuid(*aggregate).int(*version).end();
            }
        },
    );
    tables
}

/// Tuples in COPY's binary format: each a field count, then each field's length and bytes
/// (length -1 for NULL), big-endian.
#[derive(Debug, Default)]
struct Tuples {
    data: Vec<u8>,
    count: usize,
    /// Where the current tuple's field count goes, and its fields so far.
    tuple: Option<(usize, i16)>,
}

/// The binary format's header: signature, flags, no extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

impl Tuples {
    fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.start();
        let length = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.data.extend_from_slice(&length.to_be_bytes());
        self.data.extend_from_slice(bytes);
        self
    }

    fn start(&mut self) {
        let (_, fields) = self.tuple.get_or_insert_with(|| {
            if self.data.is_empty() {
                self.data.extend_from_slice(HEADER);
            }
            let at = self.data.len();
            self.data.extend_from_slice(&0_i16.to_be_bytes());
            (at, 0)
        });
        *fields += 1;
    }

    fn null(&mut self) -> &mut Self {
        self.start();
        self.data.extend_from_slice(&(-1_i32).to_be_bytes());
        self
    }

    fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.field(id.as_bytes())
    }

    fn int(&mut self, n: i32) -> &mut Self {
        self.field(&n.to_be_bytes())
    }

    fn bool(&mut self, b: bool) -> &mut Self {
        self.field(&[u8::from(b)])
    }

    fn text(&mut self, s: &str) -> &mut Self {
        self.field(s.as_bytes())
    }

    fn optional(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    /// JSON text behind jsonb's version byte.
    fn jsonb(&mut self, json: &str) -> &mut Self {
        let mut bytes = Vec::with_capacity(json.len() + 1);
        bytes.push(1);
        bytes.extend_from_slice(json.as_bytes());
        self.field(&bytes)
    }

    /// Microseconds since 2000-01-01, the database's epoch (times are kept to the microsecond).
    fn time(&mut self, time: Option<DateTime<Utc>>) -> &mut Self {
        let Some(time) = time else { return self.null() };
        let epoch = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        let micros = epoch
            .and_then(|epoch| (time - epoch).num_microseconds())
            .unwrap_or(i64::MAX);
        self.field(&micros.to_be_bytes())
    }

    /// A one-dimensional text array: dimensions, no nulls, element type `text`, its length and
    /// lower bound, then each element (an empty array has no dimension).
    fn array<'a>(&mut self, elements: impl ExactSizeIterator<Item = &'a str>) -> &mut Self {
        const TEXT: i32 = 25;
        let length = i32::try_from(elements.len()).unwrap_or(i32::MAX);
        let mut bytes = Vec::new();
        let dimensions = i32::from(length > 0);
        for word in [dimensions, 0, TEXT] {
            bytes.extend_from_slice(&word.to_be_bytes());
        }
        if length > 0 {
            bytes.extend_from_slice(&length.to_be_bytes());
            bytes.extend_from_slice(&1_i32.to_be_bytes());
        }
        for element in elements {
            let size = i32::try_from(element.len()).unwrap_or(i32::MAX);
            bytes.extend_from_slice(&size.to_be_bytes());
            bytes.extend_from_slice(element.as_bytes());
        }
        self.field(&bytes)
    }

    fn end(&mut self) {
        if let Some((at, fields)) = self.tuple.take() {
            self.data[at..at + 2].copy_from_slice(&fields.to_be_bytes());
            self.count += 1;
        }
    }

    /// The data with its trailer.
    fn finish(mut self) -> Vec<u8> {
        self.data.extend_from_slice(&(-1_i16).to_be_bytes());
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_are_written_as_copys_binary_format_reads_them() {
        let mut tuples = Tuples::default();
        tuples
            .text("hé")
            .optional(None)
            .int(7)
            .array(["a", "bc"].into_iter())
            .time(Some(
                DateTime::parse_from_rfc3339("2000-01-01T00:00:01.000002Z")
                    .expect("time")
                    .with_timezone(&Utc),
            ))
            .end();
        tuples.array(std::iter::empty()).end();
        let data = tuples.finish();
        let mut expected = HEADER.to_vec();
        for chunk in [
            &[0, 5][..],                     // five fields
            &[0, 0, 0, 3, b'h', 0xc3, 0xa9], // "hé", three bytes
            &[0xff, 0xff, 0xff, 0xff],       // NULL
            &[0, 0, 0, 4, 0, 0, 0, 7],       // int4 7
            &[
                0, 0, 0, 31, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 2, 0, 0, 0, 1,
            ],
            &[0, 0, 0, 1, b'a', 0, 0, 0, 2, b'b', b'c'],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x42], // 1,000,002 µs
            &[0, 1],                                        // one field
            &[0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25], // an empty text array
            &[0xff, 0xff],                                  // the trailer
        ] {
            expected.extend_from_slice(chunk);
        }
        assert_eq!(data, expected);
    }
}
