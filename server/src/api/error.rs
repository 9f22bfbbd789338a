//! Every error the api answers, as an RFC 9457 problem document.
//!
//! It must not put internals into an answer: a 500 says only that the server failed, and the cause
//! goes to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use notify_shared::UserId;
use notify_shared::api::Scope;
use notify_shared::problem::{self, Problem, Violation};

use crate::ingest::cloudevent::NotCloudEvent;
use crate::ingest::rules::Unmatched;

/// An api error; each maps to one status and problem type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one we do not know.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The token lacks a scope.
    #[error("the token lacks the {0:?} scope")]
    Forbidden(Scope),
    /// No such route or resource (also for resources of other users).
    #[error("not found")]
    NotFound,
    /// A malformed request: bad JSON, a bad header.
    #[error("{detail}")]
    BadRequest {
        /// Problem type slug.
        slug: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The body was read but could not be accepted as sent (size, media type).
    #[error("{detail}")]
    Rejected {
        /// The status axum chose for the rejection.
        status: StatusCode,
        /// What was wrong.
        detail: String,
    },
    /// The request broke limits or rules.
    #[error("the request is invalid")]
    Validation(Vec<Violation>),
    /// Recipients that do not exist.
    #[error("unknown recipients")]
    UnknownRecipients(Vec<UserId>),
    /// The idempotency key was used before with a different body.
    #[error("idempotency key reused with a different request")]
    KeyReused,
    /// A request with the same idempotency key is still being processed.
    #[error("a request with this idempotency key is in progress")]
    InFlight,
    /// A concurrent command changed the same aggregate first.
    #[error("a concurrent change won")]
    Conflict,
    /// A scheduled send that already went out (when, if known) cannot be cancelled.
    #[error("already dispatched")]
    AlreadyDispatched(Option<chrono::DateTime<chrono::Utc>>),
    /// The write DB cannot be reached.
    #[error("too many requests")]
    RateLimited(std::time::Duration),
    #[error("the database is unavailable")]
    Unavailable,
    /// The user has as many live streams open as they may.
    #[error("too many streams")]
    TooManyStreams(u32),
    /// The broker's management API failed while setting up a device.
    #[error("the broker is unavailable")]
    BrokerUnavailable,
    /// This api process runs as many commands as it may at once.
    #[error("too many commands in progress")]
    Overloaded,
    /// The read DB cannot be reached (or the projector has not created it yet).
    #[error("the read database is unavailable")]
    ReadUnavailable,
    /// A domain event that is not a CloudEvent this server reads.
    #[error(transparent)]
    NotCloudEvent(#[from] NotCloudEvent),
    /// A domain event that no rule makes a send of.
    #[error(transparent)]
    Unmatched(#[from] Unmatched),
    /// A bug or an unexpected failure; logged, not shown.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    /// For errors of the write DB.
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&error) {
            tracing::warn!(%error, "write database unavailable");
            Self::Unavailable
        } else if is_code(&error, "23505") {
            // Two commands appended the same aggregate version; the loser may simply retry.
            Self::Conflict
        } else {
            Self::Internal(error.into())
        }
    }
}

impl ApiError {
    /// For errors of the read DB: unreachable, or not migrated yet by a projector (42P01,
    /// undefined table), is 503.
    pub fn read(error: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&error) || is_code(&error, "42P01") {
            tracing::warn!(%error, "read database unavailable");
            Self::ReadUnavailable
        } else {
            Self::Internal(error.into())
        }
    }
}

fn is_code(error: &sqlx::Error, code: &str) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some(code))
}

impl ApiError {
    /// Whether the same request may succeed later (the database, the broker or this process
    /// was busy or away, or the same key was in flight): a queue consumer returns such a
    /// message instead of dead-lettering it.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable
                | Self::ReadUnavailable
                | Self::BrokerUnavailable
                | Self::Overloaded
                | Self::InFlight
                | Self::Conflict
                | Self::RateLimited(_)
                | Self::Internal(_)
        )
    }

    /// The problem document this error is answered with.
    pub(crate) fn problem(&self) -> Problem {
        match self {
            Self::Unauthorized => Problem::new(401, "unauthorized", "Unauthorized")
                .with_detail("send `Authorization: Bearer <token>` with a valid token"),
            Self::Forbidden(scope) => Problem::new(403, "forbidden", "Forbidden")
                .with_detail(format!("this token lacks the `{}` scope", scope.as_str())),
            Self::NotFound => Problem::new(404, "not-found", "Not Found"),
            Self::BadRequest { slug, detail } => Problem::new(400, slug, "Bad Request").with_detail(detail),
            Self::Rejected { status, detail } => Problem::new(
                status.as_u16(),
                &status.canonical_reason().unwrap_or("rejected").to_lowercase().replace(' ', "-"),
                status.canonical_reason().unwrap_or("Rejected"),
            )
            .with_detail(detail),
            Self::Validation(violations) => Problem::new(422, "validation", "Invalid Request")
                .with_detail("the request breaks the limits below; nothing was stored")
                .with_errors(violations.clone()),
            Self::UnknownRecipients(users) => Problem::new(422, "unknown-recipient", "Unknown Recipient")
                .with_detail("nothing was sent")
                .with_errors(
                    users
                        .iter()
                        .map(|user| Violation::new("to", format!("there is no user {user}")))
                        .collect(),
                ),
            Self::KeyReused => Problem::new(422, "idempotency-key-reused", "Idempotency Key Reused")
                .with_detail("this Idempotency-Key was used for a different request; use a fresh key (a new UUIDv7)"),
            Self::InFlight => Problem::new(409, "idempotency-in-flight", "Request In Progress")
                .with_detail("a request with this Idempotency-Key is still being processed; retry with the same key"),
            Self::Conflict => Problem::new(409, "concurrent-update", "Concurrent Update")
                .with_detail("another command changed this first; nothing was stored; retry with the same Idempotency-Key"),
            Self::AlreadyDispatched(at) => Problem::new(409, "already-dispatched", "Already Dispatched")
                .with_detail(match at {
                    Some(at) => format!(
                        "it was dispatched at {}; a dispatched notification cannot be cancelled",
                        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                    None => "it was dispatched; a dispatched notification cannot be cancelled".into(),
                }),
            Self::RateLimited(wait) => Problem::new(429, "rate-limited", "Too Many Requests")
                .with_detail(format!(
                    "this user made too many requests; retry in {} s",
                    retry_after_secs(*wait)
                )),
            Self::TooManyStreams(most) => Problem::new(429, "too-many-streams", "Too Many Streams")
                .with_detail(format!("this user has {most} live streams open, as many as one may; close one (another tab?) and retry")),
            Self::Unavailable => Problem::new(503, "unavailable", "Service Unavailable")
                .with_detail("the database is unavailable; nothing was stored; retry shortly"),
            Self::BrokerUnavailable => Problem::new(503, "broker-unavailable", "Service Unavailable")
                .with_detail("the message broker could not set up this device; retry shortly"),
            Self::Overloaded => Problem::new(503, "overloaded", "Service Unavailable")
                .with_detail("the server is running as many commands as it takes at once; nothing was stored; retry shortly with the same Idempotency-Key"),
            Self::ReadUnavailable => Problem::new(503, "read-unavailable", "Service Unavailable")
                .with_detail("the read database is unavailable; commands are still accepted; retry the query shortly"),
            Self::NotCloudEvent(why) => Problem::new(400, "not-a-cloudevent", "Not a CloudEvent")
                .with_detail(format!("{why}; nothing was sent")),
            Self::Unmatched(why @ Unmatched::NoRule { .. }) => Problem::new(422, "no-rule", "No Rule")
                .with_detail(format!("{why}; nothing was sent (see `notify-server rules check`)")),
            Self::Unmatched(why @ Unmatched::Render(_)) => Problem::new(422, "rule-failed", "Rule Failed")
                .with_detail(format!("the rule for this event cannot be applied: {why}; nothing was sent")),
            Self::Internal(_) => Problem::new(500, "internal", "Internal Server Error")
                .with_detail("the server failed; see its log"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(error) = &self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(problem::CONTENT_TYPE),
        );
        match self {
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited(wait) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs(wait)),
                );
            }
            Self::Unavailable
            | Self::Overloaded
            | Self::ReadUnavailable
            | Self::BrokerUnavailable
            | Self::InFlight
            | Self::Conflict => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// Whole seconds to wait, rounded up, at least 1 (`Retry-After` takes no fractions).
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(super::retry_after_secs(Duration::ZERO), 1);
        assert_eq!(super::retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(super::retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(super::retry_after_secs(Duration::from_millis(1001)), 2);
    }
}
