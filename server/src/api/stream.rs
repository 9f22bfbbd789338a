//! `GET /v1/stream`: the caller's own changes as Server-Sent Events, read from the read DB's
//! `stream` table (written by the projector, `projector/stream.rs`).
//!
//! Each event's id is its row's `<transaction>-<position>`; a row is read only once no older
//! transaction is still running, so ids grow in the order rows become readable and resuming
//! after an id (`Last-Event-ID`) gives every later row once. Every connection starts with a
//! `ready` event carrying the point it starts from (now, or the id it resumes after), followed
//! by `reset` when rows after that id were swept (the client reloads what it shows). One task
//! per process ([`Streams::run`]) polls where the readable rows end and wakes the open
//! streams, each of which then reads only its user's rows.
//!
//! It must not show anyone another user's rows, or a deleted user's to a new user of the same
//! name, and must not keep more than `max_streams_per_user` open for one user. It writes
//! nothing.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use notify_shared::UserId;
use notify_shared::api::Scope;
use notify_shared::problem::Problem;
use notify_shared::stream::{StreamDetail, StreamEvent, StreamId, StreamKind};
use notify_shared::wire_name::WireName;
use sqlx::PgPool;
use sqlx::types::Json;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;

/// How often the process looks for newly readable rows while a stream is open.
const POLL: Duration = Duration::from_millis(100);
/// How often an idle stream sends a comment, so that proxies keep it open.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// Most rows one read takes.
const PAGE: i64 = 200;

/// The open streams of one api process.
#[derive(Debug, Clone)]
pub struct Streams {
    /// Where the readable rows end, as last polled.
    frontier: Arc<watch::Sender<Option<StreamId>>>,
    /// Open streams per user.
    open: Arc<Mutex<HashMap<UserId, u32>>>,
    max_per_user: u32,
    /// Cancelled when the process stops: every stream ends, so the server can.
    closing: CancellationToken,
}

impl Streams {
    /// No stream open yet; each user may have `max_per_user` at once.
    pub fn new(max_per_user: u32) -> Self {
        Self {
            frontier: Arc::new(watch::channel(None).0),
            open: Arc::default(),
            max_per_user,
            closing: CancellationToken::new(),
        }
    }

    /// Polls where the readable rows end while any stream is open, until `shutdown`; then
    /// ends every stream.
    pub async fn run(self, read: PgPool, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = shutdown.cancelled() => break,
            }
            if self.frontier.receiver_count() == 0 {
                continue;
            }
            match frontier(&read).await {
                Ok(end) => {
                    self.frontier.send_if_modified(|known| {
                        let moved = *known != end;
                        *known = end;
                        moved
                    });
                }
                Err(error) => tracing::warn!(%error, "cannot see where the live stream ends"),
            }
        }
        self.closing.cancel();
    }

    /// Room for one more stream of `user`, or 429.
    fn enter(&self, user: &UserId) -> Result<Seat, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(user.clone()).or_default();
        if *count >= self.max_per_user {
            return Err(ApiError::TooManyStreams(self.max_per_user));
        }
        *count += 1;
        Ok(Seat {
            open: Arc::clone(&self.open),
            user: user.clone(),
        })
    }
}

/// One open stream's place in its user's count, given back when the stream ends.
#[derive(Debug)]
struct Seat {
    open: Arc<Mutex<HashMap<UserId, u32>>>,
    user: UserId,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// The newest readable row's id (`None`: there is none).
async fn frontier(read: &PgPool) -> Result<Option<StreamId>, sqlx::Error> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT xid::text, position FROM stream
         WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY xid DESC, position DESC LIMIT 1",
    )
    .fetch_optional(read)
    .await?;
    row.map(id).transpose()
}

fn id((transaction, position): (String, i64)) -> Result<StreamId, sqlx::Error> {
    let transaction = transaction
        .parse()
        .map_err(|e: std::num::ParseIntError| sqlx::Error::Decode(e.into()))?;
    Ok(StreamId {
        transaction,
        position,
    })
}

/// The caller's changes as they are projected.
#[utoipa::path(
    get,
    operation_id = "stream",
    path = "/v1/stream",
    tag = "inbox",
    params(
        ("Last-Event-ID" = Option<String>, Header,
         description = "Resume after this event id (`<transaction>-<position>`, as the stream gave it)"),
    ),
    responses(
        (status = 200, content_type = "text/event-stream", body = StreamEvent,
         description = "Server-Sent Events. First `ready` (its id is where the stream starts), then \
             `reset` if events after `Last-Event-ID` are gone (older than a day: reload), then one \
             event per change, named by its `kind`, with a `StreamEvent` as data. A comment every \
             15 s while idle. Send the last id back as `Last-Event-ID` to resume with no gap and \
             no repeat."),
        (status = 400, description = "Bad Last-Event-ID", body = Problem),
        (status = 403, description = "The token lacks the inbox scope", body = Problem),
        (status = 429, description = "Too many open streams for this user", body = Problem),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn stream(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    principal.require(Scope::Inbox)?;
    let resume = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .unwrap_or_default()
                .trim()
                .parse::<StreamId>()
                .map_err(|e| ApiError::BadRequest {
                    slug: "bad-last-event-id",
                    detail: e.to_string(),
                })?,
        ),
    };
    let seat = state.streams.enter(&principal.user)?;
    let frontier = state.streams.frontier.subscribe();
    let (start, reset) = match resume {
        Some(after) => (after, swept_after(&state.read, after).await?),
        None => (
            self::frontier(&state.read)
                .await
                .map_err(ApiError::read)?
                .unwrap_or_default(),
            false,
        ),
    };
    let mut queue = VecDeque::from([Event::default()
        .event("ready")
        .id(start.to_string())
        .retry(Duration::from_secs(1))
        .data("{}")]);
    if reset {
        queue.push_back(Event::default().event("reset").data("{}"));
    }
    let reader = Reader {
        read: state.read.clone(),
        user: principal.user,
        cursor: start,
        queue,
        frontier,
        closing: state.streams.closing.clone(),
        _seat: seat,
    };
    let events = futures::stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((Ok(event), reader))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}

/// Whether rows after `after` were swept (`stream_horizon` is past it).
async fn swept_after(read: &PgPool, after: StreamId) -> Result<bool, ApiError> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT FROM stream_horizon
                        WHERE (xid, position) > ($1::text::xid8, $2))",
    )
    .bind(after.transaction.to_string())
    .bind(after.position)
    .fetch_one(read)
    .await
    .map_err(ApiError::read)
}

/// One open stream.
struct Reader {
    read: PgPool,
    user: UserId,
    cursor: StreamId,
    queue: VecDeque<Event>,
    frontier: watch::Receiver<Option<StreamId>>,
    closing: CancellationToken,
    _seat: Seat,
}

/// One `stream` row.
#[derive(sqlx::FromRow)]
struct Row {
    xid: String,
    position: i64,
    kind: String,
    notification_id: Option<Uuid>,
    operation_id: Uuid,
    data: Json<StreamDetail>,
    time: chrono::DateTime<chrono::Utc>,
}

impl Reader {
    /// The next event; `None` ends the stream (the server stops, or the read DB failed: the
    /// client resumes where it was).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            self.frontier.mark_unchanged();
            match self.rows().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, user = %self.user, "live stream ended: cannot read the read DB");
                    return None;
                }
            }
            tokio::select! {
                changed = self.frontier.changed() => changed.ok()?,
                () = self.closing.cancelled() => return None,
            }
        }
    }

    /// Queues the user's readable rows after the cursor; how many.
    async fn rows(&mut self) -> Result<usize, sqlx::Error> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT xid::text AS xid, position, kind, notification_id, operation_id, data, time
             FROM stream
             WHERE user_id = $1 AND (xid, position) > ($2::text::xid8, $3)
               AND xid < pg_snapshot_xmin(pg_current_snapshot())
               AND time > coalesce((SELECT deleted_at FROM user_deletions WHERE user_id = $1),
                                   '-infinity')
             ORDER BY xid, position LIMIT $4",
        )
        .bind(self.user.as_str())
        .bind(self.cursor.transaction.to_string())
        .bind(self.cursor.position)
        .bind(PAGE)
        .fetch_all(&self.read)
        .await?;
        let count = rows.len();
        for row in rows {
            let at = id((row.xid, row.position))?;
            let kind: StreamKind = row
                .kind
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let event = StreamEvent {
                kind,
                notification_id: row.notification_id,
                operation_id: row.operation_id,
                time: row.time,
                detail: row.data.0,
            };
            let data = serde_json::to_string(&event).map_err(|e| sqlx::Error::Decode(e.into()))?;
            self.queue.push_back(
                Event::default()
                    .event(kind.as_str())
                    .id(at.to_string())
                    .data(data),
            );
            self.cursor = at;
        }
        Ok(count)
    }
}
