//! Load shedding: each api process runs at most `max_commands_in_flight` commands (requests
//! that write) at once, and answers one more `503` with `Retry-After` at once instead of
//! letting it queue for the write DB until the pool gives up. An accepted command's latency
//! stays bounded under overload, and the refused one has changed nothing. Queries (`GET`,
//! `HEAD`) read the read DB and are not counted.
//!
//! It must not queue a command it refuses, nor count queries.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;

/// The commands a process may run at once.
#[derive(Debug, Clone)]
pub struct Commands(Arc<Semaphore>);

impl Commands {
    /// Room for `most` commands at once.
    pub fn new(most: std::num::NonZeroU32) -> Self {
        let permits = usize::try_from(most.get()).unwrap_or(Semaphore::MAX_PERMITS);
        Self(Arc::new(Semaphore::new(
            permits.min(Semaphore::MAX_PERMITS),
        )))
    }
}

impl Commands {
    /// Room for one more command, held until dropped; `overloaded` when there is none (and
    /// counted).
    pub fn try_room(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        self.0.try_acquire().map_err(|_| {
            metrics::counter!(crate::prometheus::API_REFUSED, "reason" => "overloaded")
                .increment(1);
            ApiError::Overloaded
        })
    }
}

/// Runs a command when there is room for it, else answers `503 overloaded`.
pub async fn limit(State(commands): State<Commands>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    match commands.try_room() {
        Ok(_running) => next.run(request).await,
        Err(overloaded) => overloaded.into_response(),
    }
}
