//! `GET /v1/sent`: what the caller sent and where each notification stands (read DB only).
//! With an `admin` token it is the audit across users: every user's sends, or one user's
//! (`from`), addresses included.
//!
//! It must not let a sender learn a recipient's address: without `admin`, an address filter applies
//! only where the caller is the recipient, and addresses are shown as `rows::attach_deliveries`
//! allows.

use axum::Json;
use axum::extract::State;
use notify_shared::api::Scope;
use notify_shared::problem::Problem;
use notify_shared::views::{NotificationPage, SentQuery};
use notify_shared::wire_name::WireName;
use sqlx::{Postgres, QueryBuilder};

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::inbox::page;
use super::params::ApiQuery;
use super::rows::{NOTIFICATION_COLUMNS, attach_deliveries, page_size, since_deletion};
use crate::redact;

/// The caller's sent notifications, newest first.
#[utoipa::path(
    get,
    operation_id = "listSent",
    path = "/v1/sent",
    tag = "sent",
    params(SentQuery),
    responses(
        (status = 200, description = "A page of sent notifications", body = NotificationPage),
        (status = 400, description = "Bad filter, limit or cursor", body = Problem),
        (status = 403, description = "No send scope, or `from` another user without admin", body = Problem),
        (status = 503, description = "Read DB unavailable", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn sent(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<SentQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    sent_page(&state, &principal, &query).await.map(Json)
}

/// A page of what the caller sent (any user's, for an admin), whatever the transport.
pub(crate) async fn sent_page(
    state: &AppState,
    principal: &Principal,
    query: &SentQuery,
) -> Result<NotificationPage, ApiError> {
    let admin = principal.require(Scope::Admin).is_ok();
    if !admin {
        principal.require(Scope::Send)?;
        if query
            .from
            .as_ref()
            .is_some_and(|from| *from != principal.user)
        {
            return Err(ApiError::Forbidden(Scope::Admin));
        }
    }
    let limit = page_size(query.limit)?;
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE true"
    ));
    match (&query.from, admin) {
        (Some(from), _) => sql.push(" AND sender = ").push_bind(from.as_str()),
        (None, true) => &mut sql,
        // Not what a deleted namesake sent; the caller is the first parameter, `$1`.
        (None, false) => sql
            .push(" AND sender = ")
            .push_bind(principal.user.as_str())
            .push(format!(" AND {}", since_deletion("$1"))),
    };
    if let Some(to) = &query.to {
        sql.push(" AND recipient = ").push_bind(to.as_str());
    }
    if let Some(status) = query.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    match query.scheduled {
        Some(true) => sql.push(" AND status = 'scheduled'"),
        Some(false) => sql.push(" AND status <> 'scheduled'"),
        None => &mut sql,
    };
    if query.channel.is_some() || query.address.is_some() {
        sql.push(
            " AND EXISTS (SELECT FROM deliveries d WHERE d.notification_id = notifications.id",
        );
        if let Some(channel) = &query.channel {
            sql.push(" AND d.channel = ").push_bind(channel.as_str());
        }
        if let Some(address) = &query.address {
            // Events hold a webhook's origin only (older ones the whole URL): either matches.
            let origin = if address.contains("://") {
                redact::webhook_origin(address)
            } else {
                address.clone()
            };
            // People write addresses in any case (`Alice@Example.COM`): compared without it.
            sql.push(" AND lower(d.address) IN (lower(")
                .push_bind(address.clone())
                .push("), lower(")
                .push_bind(origin)
                .push("))");
            if !admin {
                // Only where the caller receives: nobody probes another's address.
                sql.push(" AND notifications.recipient = ")
                    .push_bind(principal.user.as_str());
            }
        }
        sql.push(")");
    }
    let mut page = page(sql, "requested_at", query.before.as_deref(), limit, state).await?;
    attach_deliveries(&state.read, principal, &mut page.items).await?;
    Ok(page)
}
