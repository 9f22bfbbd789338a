//! Bearer-token authentication, and the per-user rate limit: the `Principal` extractor.
//!
//! It must not write to either database: a request is authenticated by reads of the write DB's
//! tokens and this process's memory of them, never by anything the request says about itself.

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use notify_shared::UserId;
use notify_shared::api::Scope;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::known_tokens::StoredToken;
use crate::tokens;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user the token belongs to.
    pub user: UserId,
    /// What the token may do.
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// Fails with 403 unless the token has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(scope))
        }
    }

    /// Whether the caller may see where `recipient` receives notifications: their own
    /// addresses, or any with an `admin` token (the audit). A sender sees channels and
    /// statuses only.
    pub fn sees_addresses_of(&self, recipient: &UserId) -> bool {
        *recipient == self.user || self.scopes.contains(&Scope::Admin)
    }
}

/// Token `id` as this process knows it while it hears of every change ([`super::known_tokens`]),
/// else as the write DB stores it, or (the write DB unreachable) as this process last looked
/// it up, not too long ago.
async fn lookup(state: &AppState, id: Uuid) -> Result<Option<StoredToken>, ApiError> {
    if let Some(token) = state.known_tokens.trusted(id) {
        return Ok(Some(token));
    }
    let now = Instant::now();
    let mark = state.known_tokens.mark();
    let row: Result<Option<StoredToken>, sqlx::Error> = sqlx::query_as(
        "SELECT user_id AS user, secret_hash AS hash, scopes FROM tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.write)
    .await;
    match row {
        Ok(token) => {
            state.known_tokens.record(id, token.as_ref(), now, mark);
            Ok(token)
        }
        Err(error) if crate::db::is_unavailable(&error) => match state.known_tokens.get(id, now) {
            Some(token) => Ok(Some(token)),
            None => Err(error.into()),
        },
        Err(error) => Err(error.into()),
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let authorization = parts
            .headers
            .get(AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or_default());
        let rate_limited = counts_against_rate_limit(&parts.method, parts.uri.path());
        Self::authenticate(state, authorization, rate_limited).await
    }
}

impl Principal {
    /// The caller of a request whose `authorization` (the HTTP header, or gRPC's metadata) is
    /// `Bearer <token>`; counted against the user's rate limit when `rate_limited`.
    pub(crate) async fn authenticate(
        state: &AppState,
        authorization: Option<&str>,
        rate_limited: bool,
    ) -> Result<Self, ApiError> {
        let presented = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let (id, secret) = tokens::parse(presented.trim()).ok_or(ApiError::Unauthorized)?;
        let stored = lookup(state, id).await?.ok_or(ApiError::Unauthorized)?;
        if !tokens::verify(secret, &stored.hash) {
            return Err(ApiError::Unauthorized);
        }
        let StoredToken { user, scopes, .. } = stored;
        let user = UserId::parse(user).map_err(|e| ApiError::Internal(e.into()))?;
        if let Some(limit) = state.rate_limit.as_ref().filter(|_| rate_limited) {
            limit.check(&user)?;
        }
        let scopes = scopes.iter().filter_map(|s| s.parse().ok()).collect();
        Ok(Self { user, scopes })
    }
}

/// Whether a request counts against the user's rate limit: all do but notifyd's upkeep (a
/// delivery receipt, the unread count). A flood of popups makes a burst of those, and they must
/// neither be refused (the desktop tick would come late) nor use up what the user may send.
/// `path` may be the route's template (`/v1/deliveries/{id}/receipt`), as the OpenAPI
/// document names it.
pub(super) fn counts_against_rate_limit(method: &Method, path: &str) -> bool {
    let upkeep = match *method {
        Method::POST => path.starts_with("/v1/deliveries/") && path.ends_with("/receipt"),
        Method::GET => path == "/v1/inbox/count",
        _ => false,
    };
    !upkeep
}
