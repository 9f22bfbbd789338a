//! Applying events to the read model: the only code that writes the read DB.
//!
//! Every change derives from the event's data and time (never the clock), so replaying the
//! event store gives the same read model as the live projection. Each event is applied once in
//! effect: its id is recorded in `applied_events` in the same transaction, a version at or
//! below the aggregate's current one is ignored, and a version that arrives ahead of a missing
//! predecessor waits in `pending_events` until the gap fills.
//!
//! Within a batch each aggregate's events are applied in version order: the pipeline's events
//! in waves of at most one event per aggregate ([`wave`](super::wave)), any other event (cancel,
//! read, unread, read-all, preferences, user deleted) alone, after everything before it in the
//! batch.

use notify_shared::UserId;
use notify_shared::api::OperationStatus;
use notify_shared::event::{Envelope, Event, InboxReadAll, PreferencesUpdated};
use notify_shared::views::OperationKind;
use notify_shared::wire_name::WireName;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::resolved::Resolved;
use super::{settle, stream, wave};

/// Applies `events` in order inside the caller's transaction; returns the operations that
/// reached a final state.
///
/// The bookkeeping is done for the whole batch at once: one statement records the event ids,
/// one locks and reads the versions of every aggregate touched (in id order, so concurrent
/// projectors queue instead of deadlocking), one reads their parked events, and at the end one
/// writes the new versions, one the history rows and one what each user's live stream hears
/// ([`stream`]). Per event only the model changes remain.
pub async fn apply_all(
    conn: &mut PgConnection,
    events: &[Envelope],
) -> Result<Vec<Resolved>, sqlx::Error> {
    // Published by projectors for requesters; not part of the model.
    let events: Vec<&Envelope> = events
        .iter()
        .filter(|e| !matches!(e.event, Event::OperationResolved(_)))
        .collect();
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut fresh: HashSet<Uuid> = sqlx::query_scalar(
        "INSERT INTO applied_events (event_id) SELECT * FROM UNNEST($1::uuid[])
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    // The first copy of each fresh event; later copies in the same batch are repeats.
    let events: Vec<&Envelope> = events.into_iter().filter(|e| fresh.remove(&e.id)).collect();
    if events.is_empty() {
        return Ok(Vec::new());
    }

    let mut aggregates: Vec<Uuid> = events.iter().map(|e| e.subject).collect();
    aggregates.sort_unstable();
    aggregates.dedup();
    let mut versions: HashMap<Uuid, i32> = sqlx::query_as(
        "INSERT INTO aggregate_versions (aggregate_id, version)
         SELECT id, 0 FROM UNNEST($1::uuid[]) AS a (id)
         ON CONFLICT (aggregate_id) DO UPDATE SET version = aggregate_versions.version
         RETURNING aggregate_id, version",
    )
    .bind(&aggregates)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut parked: HashMap<(Uuid, i32), Envelope> = sqlx::query_as::<_, (Uuid, i32, Json<Envelope>)>(
        "SELECT aggregate_id, version, document FROM pending_events WHERE aggregate_id = ANY($1)",
    )
    .bind(&aggregates)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(aggregate, version, json)| ((aggregate, version), json.0))
    .collect();

    // The events whose turn it is, in order: each aggregate's in version order.
    let mut ready: Vec<Cow<'_, Envelope>> = Vec::with_capacity(events.len());
    let mut unparked = Vec::new();
    let mut moved = HashSet::new();
    for &envelope in &events {
        let current = versions.get(&envelope.subject).copied().unwrap_or_default();
        let sequence = version_of(envelope)?;
        if sequence <= current {
            continue; // stale: a later version is already applied
        }
        if sequence > current + 1 {
            sqlx::query(
                "INSERT INTO pending_events (aggregate_id, version, document) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(envelope.subject)
            .bind(sequence)
            .bind(Json(envelope))
            .execute(&mut *conn)
            .await?;
            parked.insert((envelope.subject, sequence), envelope.clone());
            continue;
        }
        ready.push(Cow::Borrowed(envelope));
        let mut version = sequence;
        while let Some(next) = parked.remove(&(envelope.subject, version + 1)) {
            version += 1;
            unparked.push((envelope.subject, version));
            ready.push(Cow::Owned(next));
        }
        versions.insert(envelope.subject, version);
        moved.insert(envelope.subject);
    }

    // History rows first: settling a send reads the final events of its notifications there.
    let mut timeline = Timeline::default();
    for e in &ready {
        // Inbox, preferences and user events are not about one notification: no history row.
        if !matches!(
            e.event,
            Event::InboxReadAll(_) | Event::PreferencesUpdated(_) | Event::UserDeleted(_)
        ) {
            timeline.push(e)?;
        }
    }
    timeline.insert(conn).await?;

    let mut batch = Batch {
        moved,
        unparked,
        ..Batch::default()
    };
    let mut rest = &ready[..];
    while let Some(first) = rest.first() {
        if wave::is_pipeline(&first.event) {
            // A run of pipeline events, applied in waves.
            let run = rest
                .iter()
                .position(|e| !wave::is_pipeline(&e.event))
                .unwrap_or(rest.len());
            for events in waves(&rest[..run]) {
                batch.resolved.extend(wave::apply(conn, &events).await?);
            }
            rest = &rest[run..];
        } else {
            // Any other event on its own, after everything before it.
            project(conn, first, &mut batch.resolved).await?;
            rest = &rest[1..];
        }
    }
    let mut seen = stream::Rows::default();
    for e in &ready {
        seen.push_event(e);
    }
    let resolved = batch.finish(conn, &versions).await?;
    if let Some(newest) = ready.iter().map(|e| e.time).max() {
        for done in &resolved {
            seen.push_resolved(done, newest);
        }
    }
    seen.insert(conn).await?;
    Ok(resolved)
}

/// Splits a run of events into waves: the first event of each aggregate, then the second of
/// each, and so on. Applying the waves in turn keeps each aggregate's order.
fn waves<'a>(run: &'a [Cow<'a, Envelope>]) -> Vec<Vec<&'a Envelope>> {
    let mut waves: Vec<Vec<&Envelope>> = Vec::new();
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    for e in run {
        let index = seen.entry(e.subject).or_default();
        if *index == waves.len() {
            waves.push(Vec::new());
        }
        waves[*index].push(e);
        *index += 1;
    }
    waves
}

/// What applying a batch changed besides the model, written once at its end.
#[derive(Debug, Default)]
struct Batch {
    resolved: Vec<Resolved>,
    /// Aggregates whose version moved.
    moved: HashSet<Uuid>,
    /// Parked events that were applied.
    unparked: Vec<(Uuid, i32)>,
}

impl Batch {
    async fn finish(
        self,
        conn: &mut PgConnection,
        versions: &HashMap<Uuid, i32>,
    ) -> Result<Vec<Resolved>, sqlx::Error> {
        let (aggregates, moved): (Vec<Uuid>, Vec<i32>) = self
            .moved
            .iter()
            .map(|aggregate| (*aggregate, versions[aggregate]))
            .unzip();
        sqlx::query(
            "UPDATE aggregate_versions a SET version = m.version
             FROM UNNEST($1::uuid[], $2::int[]) AS m (id, version) WHERE a.aggregate_id = m.id",
        )
        .bind(&aggregates)
        .bind(&moved)
        .execute(&mut *conn)
        .await?;
        if !self.unparked.is_empty() {
            let (aggregates, versions): (Vec<Uuid>, Vec<i32>) = self.unparked.into_iter().unzip();
            sqlx::query(
                "DELETE FROM pending_events p USING UNNEST($1::uuid[], $2::int[]) AS u (id, version)
                 WHERE p.aggregate_id = u.id AND p.version = u.version",
            )
            .bind(&aggregates)
            .bind(&versions)
            .execute(&mut *conn)
            .await?;
        }
        Ok(self.resolved)
    }
}

fn version_of(envelope: &Envelope) -> Result<i32, sqlx::Error> {
    i32::try_from(envelope.sequence).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Changes the read model for one event whose turn it is.
async fn project(
    conn: &mut PgConnection,
    e: &Envelope,
    resolved: &mut Vec<Resolved>,
) -> Result<(), sqlx::Error> {
    match &e.event {
        Event::NotificationCancelled(data) => {
            set_status(conn, e.subject, "cancelled").await?;
            resolved.extend(settle::sends(conn, &[e.subject]).await?);
            // The cancel is an operation of its own, asked for by the sender (the event is
            // addressed to the recipient): applied at once.
            operation(
                conn,
                e.operationid,
                &data.by,
                OperationKind::Cancel,
                OperationStatus::Applied,
                Some(e),
            )
            .await?;
            link(conn, e.operationid, e.subject).await?;
            resolved.push(Resolved {
                operation_id: e.operationid,
                requester: data.by.clone(),
                status: OperationStatus::Applied,
            });
        }
        Event::NotificationRead(_) | Event::NotificationUnread(_) => {
            let read = matches!(e.event, Event::NotificationRead(_));
            sqlx::query(
                "UPDATE notifications SET read_at = CASE WHEN $2 THEN coalesce(read_at, $3) END WHERE id = $1",
            )
            .bind(e.subject)
            .bind(read)
            .bind(e.time)
            .execute(&mut *conn)
            .await?;
            let kind = if read {
                OperationKind::Read
            } else {
                OperationKind::Unread
            };
            resolved.push(applied(conn, e, kind, Some(e.subject)).await?);
        }
        Event::InboxReadAll(data) => {
            read_all(conn, e, data).await?;
            resolved.push(applied(conn, e, OperationKind::ReadAll, None).await?);
        }
        Event::NotificationEscalated(_) => {}
        Event::PreferencesUpdated(data) => {
            preferences(conn, e, data).await?;
            resolved.push(applied(conn, e, OperationKind::Preferences, None).await?);
        }
        Event::UserDeleted(_) => forget_user(conn, e).await?,
        Event::OperationResolved(_) => {}
        // The pipeline's kinds (`wave::is_pipeline`): a wave of one.
        _ => resolved.extend(wave::apply(conn, &[e]).await?),
    }
    Ok(())
}

/// The user's preferences changed.
async fn preferences(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &PreferencesUpdated,
) -> Result<(), sqlx::Error> {
    let channels: Vec<&str> = data.channels.iter().map(|c| c.as_str()).collect();
    sqlx::query(
        "INSERT INTO preferences (user_id, channels, email, webhook_url, webhook_secret_set)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET channels = excluded.channels, email = excluded.email,
             webhook_url = excluded.webhook_url, webhook_secret_set = excluded.webhook_secret_set",
    )
    .bind(e.userid.as_str())
    .bind(&channels)
    .bind(&data.email)
    .bind(&data.webhook_url)
    .bind(data.webhook_secret_set)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user was deleted: what was theirs up to the event's time is hidden from every query by
/// `user_deletions` (so that a new user of the same name starts empty), and their preferences
/// are gone.
async fn forget_user(conn: &mut PgConnection, e: &Envelope) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_deletions (user_id, deleted_at) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET deleted_at = greatest(user_deletions.deleted_at, $2)",
    )
    .bind(e.userid.as_str())
    .bind(e.time)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM preferences WHERE user_id = $1")
        .bind(e.userid.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn read_all(
    conn: &mut PgConnection,
    e: &Envelope,
    data: &InboxReadAll,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO inboxes (user_id, read_all_up_to) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET read_all_up_to = greatest(inboxes.read_all_up_to, $2)",
    )
    .bind(e.userid.as_str())
    .bind(data.up_to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE notifications SET read_at = $2
         WHERE recipient = $1 AND read_at IS NULL AND dispatched_at <= $2",
    )
    .bind(e.userid.as_str())
    .bind(data.up_to)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn set_status(
    conn: &mut PgConnection,
    notification: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET status = $2 WHERE id = $1")
        .bind(notification)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records an inbox command as applied: its operation is final at once.
async fn applied(
    conn: &mut PgConnection,
    e: &Envelope,
    kind: OperationKind,
    notification: Option<Uuid>,
) -> Result<Resolved, sqlx::Error> {
    operation(
        conn,
        e.operationid,
        &e.userid,
        kind,
        OperationStatus::Applied,
        Some(e),
    )
    .await?;
    if let Some(notification) = notification {
        link(conn, e.operationid, notification).await?;
    }
    Ok(Resolved {
        operation_id: e.operationid,
        requester: e.userid.clone(),
        status: OperationStatus::Applied,
    })
}

async fn operation(
    conn: &mut PgConnection,
    id: Uuid,
    requester: &UserId,
    kind: OperationKind,
    status: OperationStatus,
    resolved_by: Option<&Envelope>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO operations (id, requester, kind, status, resolved_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(requester.as_str())
    .bind(kind.as_str())
    .bind(status.as_str())
    .bind(resolved_by.map(|e| e.time))
    .execute(conn)
    .await?;
    Ok(())
}

async fn link(
    conn: &mut PgConnection,
    operation: Uuid,
    notification: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO operation_notifications VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(operation)
        .bind(notification)
        .execute(conn)
        .await?;
    Ok(())
}

/// The history rows of a batch, as columns for one `INSERT ... SELECT FROM UNNEST`.
#[derive(Debug, Default)]
struct Timeline {
    event_ids: Vec<Uuid>,
    notifications: Vec<Uuid>,
    sequences: Vec<i32>,
    kinds: Vec<&'static str>,
    times: Vec<DateTime<Utc>>,
    sources: Vec<String>,
    operations: Vec<Uuid>,
    data: Vec<serde_json::Value>,
}

impl Timeline {
    fn push(&mut self, e: &Envelope) -> Result<(), sqlx::Error> {
        let mut document =
            serde_json::to_value(e).map_err(|error| sqlx::Error::Encode(error.into()))?;
        self.event_ids.push(e.id);
        self.notifications.push(e.subject);
        self.sequences.push(version_of(e)?);
        self.kinds.push(e.event.kind());
        self.times.push(e.time);
        self.sources.push(e.source.clone());
        self.operations.push(e.operationid);
        self.data.push(document["data"].take());
        Ok(())
    }

    async fn insert(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.event_ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO timeline (event_id, notification_id, sequence, kind, time, source, operation_id, data)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::timestamptz[],
                                  $6::text[], $7::uuid[], $8::jsonb[])
             ON CONFLICT DO NOTHING",
        )
        .bind(&self.event_ids)
        .bind(&self.notifications)
        .bind(&self.sequences)
        .bind(&self.kinds)
        .bind(&self.times)
        .bind(&self.sources)
        .bind(&self.operations)
        .bind(&self.data)
        .execute(conn)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use notify_shared::event::{NotificationDelivered, NotificationDispatched};

    use super::*;

    fn event(subject: Uuid, sequence: u64) -> Cow<'static, Envelope> {
        let event = if sequence == 1 {
            Event::NotificationDispatched(NotificationDispatched {})
        } else {
            Event::NotificationDelivered(NotificationDelivered {})
        };
        let user = UserId::parse("alice").expect("valid");
        Cow::Owned(Envelope::new(
            "/test",
            Uuid::nil(),
            subject,
            user,
            sequence,
            event,
        ))
    }

    #[test]
    fn waves_hold_one_event_per_aggregate_and_keep_each_aggregates_order() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let run = [
            event(a, 1),
            event(a, 2),
            event(b, 1),
            event(a, 3),
            event(c, 1),
            event(b, 2),
        ];
        let waves: Vec<Vec<(Uuid, u64)>> = waves(&run)
            .iter()
            .map(|wave| wave.iter().map(|e| (e.subject, e.sequence)).collect())
            .collect();
        assert_eq!(
            waves,
            [
                vec![(a, 1), (b, 1), (c, 1)],
                vec![(a, 2), (b, 2)],
                vec![(a, 3)],
            ]
        );
    }
}
