//! Inbox queries, answered from the read DB only: the list, one notification, its history and
//! the unread count. Another user's notification is a 404, never a 403.

use axum::Json;
use axum::extract::State;
use notify_shared::api::Scope;
use notify_shared::problem::Problem;
use notify_shared::views::{
    InboxQuery, MAX_SEARCH_CHARS, NotificationPage, NotificationView, Timeline, TimelineEntry,
    UnreadCount,
};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::params::{ApiPath, ApiQuery};
use super::rows::{
    Cursor, NOTIFICATION_COLUMNS, NotificationRow, TimelineRow, attach_deliveries, page_size,
    since_deletion,
};

/// The caller's inbox, newest first, with filters and keyset pagination.
#[utoipa::path(
    get,
    operation_id = "listInbox",
    path = "/v1/notifications",
    tag = "inbox",
    params(InboxQuery),
    responses(
        (status = 200, description = "A page of the inbox", body = NotificationPage),
        (status = 400, description = "Bad filter, limit or cursor", body = Problem),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    inbox(&state, &principal, &query).await.map(Json)
}

/// A page of the caller's inbox, whatever the transport.
pub(crate) async fn inbox(
    state: &AppState,
    principal: &Principal,
    query: &InboxQuery,
) -> Result<NotificationPage, ApiError> {
    principal.require(Scope::Inbox)?;
    let limit = page_size(query.limit)?;
    if query
        .q
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::BadRequest {
            slug: "bad-search",
            detail: format!("q may have at most {MAX_SEARCH_CHARS} characters"),
        });
    }
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE dispatched_at IS NOT NULL AND recipient = "
    ));
    // The user is the first parameter, `$1`.
    sql.push_bind(principal.user.as_str())
        .push(format!(" AND {}", since_deletion("$1")));
    if query.unread == Some(true) {
        sql.push(" AND read_at IS NULL");
    }
    if let Some(tag) = &query.tag {
        sql.push(" AND tags @> ARRAY[")
            .push_bind(tag)
            .push("]::text[]");
    }
    if let Some(q) = &query.q {
        // Every word of the search also matches as a prefix ("depl" finds "deploy"): each
        // lexeme of the parsed query (quotes, `or` and `-word` keep their meaning) gets `:*`.
        sql.push(" AND search @@ regexp_replace(websearch_to_tsquery('simple', ")
            .push_bind(q)
            .push(r#")::text, '''((?:[^'']|'''')*)''', '''\1'':*', 'g')::tsquery"#);
    }
    page(sql, "dispatched_at", query.before.as_deref(), limit, state).await
}

/// Appends the keyset condition and order on `(time_column, id)`, runs the query and makes the
/// page. Shared by the inbox and the sent list.
pub(super) async fn page(
    mut sql: QueryBuilder<'_, Postgres>,
    time_column: &str,
    before: Option<&str>,
    limit: i64,
    state: &AppState,
) -> Result<NotificationPage, ApiError> {
    if let Some(before) = before {
        let cursor = Cursor::decode(before)?;
        sql.push(format!(" AND ({time_column}, id) < ("))
            .push_bind(cursor.time)
            .push(", ")
            .push_bind(cursor.id)
            .push(")");
    }
    sql.push(format!(" ORDER BY {time_column} DESC, id DESC LIMIT "))
        .push_bind(limit + 1);
    let mut rows: Vec<NotificationRow> = sql
        .build_query_as()
        .fetch_all(&state.read)
        .await
        .map_err(ApiError::read)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let items = rows
        .into_iter()
        .map(NotificationView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = match (more, items.last()) {
        (true, Some(last)) => {
            let time = if time_column == "dispatched_at" {
                last.dispatched_at
            } else {
                Some(last.requested_at)
            };
            time.map(|time| Cursor { time, id: last.id }.encode())
        }
        _ => None,
    };
    Ok(NotificationPage { items, next_cursor })
}

/// One notification of the caller's (as recipient or sender).
#[utoipa::path(
    get,
    operation_id = "getNotification",
    path = "/v1/notifications/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The notification id")),
    responses(
        (status = 200, description = "The notification", body = NotificationView),
        (status = 404, description = "No such notification of yours", body = Problem),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<NotificationView>, ApiError> {
    find(&state, &principal, id).await.map(Json)
}

/// The notification `id` when the caller is its sender, or its recipient once it is dispatched
/// (a scheduled send is not the recipient's before its time, a cancelled one never); 404
/// otherwise.
pub(crate) async fn find(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<NotificationView, ApiError> {
    principal.require(Scope::Inbox)?;
    let row: Option<NotificationRow> = sqlx::query_as(&format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1 AND ((recipient = $2 AND dispatched_at IS NOT NULL) OR sender = $2) AND {}",
        since_deletion("$2")
    ))
    .bind(id)
    .bind(principal.user.as_str())
    .fetch_optional(&state.read)
    .await
    .map_err(ApiError::read)?;
    let mut view: NotificationView = row.ok_or(ApiError::NotFound)?.try_into()?;
    attach_deliveries(&state.read, principal, std::slice::from_mut(&mut view)).await?;
    Ok(view)
}

/// The history of one notification of the caller's, oldest first.
#[utoipa::path(
    get,
    operation_id = "getNotificationHistory",
    path = "/v1/notifications/{id}/events",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The notification id")),
    responses(
        (status = 200, description = "Its events", body = Timeline),
        (status = 404, description = "No such notification of yours", body = Problem),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn events(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Timeline>, ApiError> {
    history(&state, &principal, id).await.map(Json)
}

/// The history of one notification of the caller's, whatever the transport.
pub(crate) async fn history(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Timeline, ApiError> {
    let view = find(state, principal, id).await?;
    let rows: Vec<TimelineRow> = sqlx::query_as(
        "SELECT event_id, kind, sequence, time, source, operation_id, data
         FROM timeline WHERE notification_id = $1 ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(&state.read)
    .await
    .map_err(ApiError::read)?;
    let shown = principal.sees_addresses_of(&view.recipient);
    let events = rows
        .into_iter()
        .map(TimelineEntry::from)
        .map(|mut entry| {
            // A sender sees that a channel was requested, not where it goes.
            if !shown && let Some(data) = entry.data.as_object_mut() {
                data.remove("address");
            }
            entry
        })
        .collect();
    Ok(Timeline {
        notification_id: id,
        events,
    })
}

/// How many notifications in the caller's inbox are unread.
#[utoipa::path(
    get,
    operation_id = "countUnread",
    path = "/v1/inbox/count",
    tag = "inbox",
    responses(
        (status = 200, description = "The unread count", body = UnreadCount),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn count(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<UnreadCount>, ApiError> {
    principal.require(Scope::Inbox)?;
    let unread: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM notifications
             WHERE recipient = $1 AND dispatched_at IS NOT NULL AND read_at IS NULL AND {}",
        since_deletion("$1")
    ))
    .bind(principal.user.as_str())
    .fetch_one(&state.read)
    .await
    .map_err(ApiError::read)?;
    Ok(Json(UnreadCount {
        unread: u64::try_from(unread).unwrap_or_default(),
    }))
}
