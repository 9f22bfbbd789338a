//! Other services' domain events as sends: `POST /v1/events` (the CloudEvents HTTP binding,
//! structured or binary), and [`ingest`], which the ingest role's queue consumer calls too
//! ([`super::events_queue`]).
//!
//! The event's `source` and `id` make the operation id, and the event itself the request's
//! fingerprint: a copy of an event answers the first send again, the same `source` and `id`
//! with other content is refused (`idempotency-key-reused`).
//!
//! It must not write but through the send command ([`send_as`]), nor send anything a rule did
//! not describe.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use chrono::Utc;
use notify_shared::UserId;
use notify_shared::api::{Scope, SendResponse};
use notify_shared::problem::Problem;
use serde_json::json;

use super::AppState;
use super::auth::Principal;
use super::command::{Accepted, Key};
use super::error::ApiError;
use super::notifications::send_as;
use crate::ingest::cloudevent::{DomainEvent, STRUCTURED};
use crate::ingest::operation_id;
use crate::prometheus;

/// The prefix of the HTTP binding's attribute headers in binary mode (`ce-id`, `ce-source`, …).
const HEADER_PREFIX: &str = "ce-";

/// Turns another service's domain event into the send its rule describes.
///
/// Structured mode: `Content-Type: application/cloudevents+json` and the whole event as the
/// body. Binary mode: the attributes as `ce-` headers (`ce-specversion: 1.0`, `ce-id`,
/// `ce-source`, `ce-type`, optional `ce-subject` and `ce-time`) and the JSON data as the body.
/// The first rule of the server's rules file that matches the event's `type` (and `source`)
/// makes the send, from the token's user (the service). The same event again is answered
/// like the first time and sends nothing more.
#[utoipa::path(
    post,
    operation_id = "postEvent",
    path = "/v1/events",
    tag = "events",
    request_body(content = serde_json::Value, description = "A CloudEvents 1.0 event", content_type = "application/cloudevents+json"),
    responses(
        (status = 202, description = "The send it made (or made before, for a copy)", body = SendResponse),
        (status = 400, description = "Not a CloudEvent this server reads", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "The token lacks the events scope", body = Problem),
        (status = 409, description = "The same event still in flight", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 422, description = "No rule for it, its rule fails on it, an unknown recipient, limits broken, or its id reused with other content", body = Problem),
        (status = 503, description = "Database unavailable, or too many commands in progress (`Retry-After`)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn post(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Accepted, ApiError> {
    principal.require(Scope::Events)?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE.as_str());
    let structured = content_type
        .as_deref()
        .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with(STRUCTURED));
    let read = if structured {
        DomainEvent::structured(&body)
    } else {
        DomainEvent::binary(
            |name| header(&format!("{HEADER_PREFIX}{name}")),
            content_type.as_deref(),
            &body,
        )
    };
    let outcome = match read {
        Ok(event) => ingest(&state, &principal.user, &event).await,
        Err(why) => Err(why.into()),
    };
    count("http", &outcome);
    outcome
}

/// Makes the send that the rules describe for `event`, from `service`.
pub(crate) async fn ingest(
    state: &AppState,
    service: &UserId,
    event: &DomainEvent,
) -> Result<Accepted, ApiError> {
    let rendered = state.rules.render(event, Utc::now())?;
    let fingerprint = json!({
        "source": event.source,
        "id": event.id,
        "type": event.kind,
        "subject": event.subject,
        "time": event.time,
        "data": event.data,
    });
    let key = Key::with(operation_id(&event.source, &event.id), &fingerprint)?;
    send_as(
        state,
        service,
        key,
        &rendered.request,
        Some(&rendered.cause),
    )
    .await
}

/// Counts an ingested event by its transport and outcome (`accepted`, or the problem type).
pub(crate) fn count(transport: &'static str, outcome: &Result<Accepted, ApiError>) {
    let outcome = match outcome {
        Ok(_) => "accepted".to_owned(),
        Err(error) => error.problem().slug().to_owned(),
    };
    metrics::counter!(prometheus::INGESTED_EVENTS, "transport" => transport, "outcome" => outcome)
        .increment(1);
}
