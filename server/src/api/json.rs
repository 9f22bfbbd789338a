//! `ApiJson<T>`: axum's JSON extractor with its rejections turned into problem documents
//! (400 malformed, 413 too large, 415 wrong media type, 422 wrong shape); and [`json_only`],
//! the same media-type rule for the commands that take no body.
//!
//! It must not let one of axum's plain-text rejections through: every refusal of a body is a
//! problem document.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON request body whose errors are problem documents.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest {
            slug: "malformed-json",
            detail,
        },
        // Well-formed JSON of the wrong shape: unknown fields, wrong types, invalid user ids.
        JsonRejection::JsonDataError(_) => ApiError::BadRequest {
            slug: "invalid-body",
            detail,
        },
        other => ApiError::Rejected {
            status: other.status(),
            detail,
        },
    }
}

/// Refuses a command whose body is declared as anything but JSON (`415`), whatever its route:
/// `POST …/read` with `text/plain` is a client's mistake, not a read. A command without a
/// `Content-Type` (those without a body) passes, and so do queries.
pub async fn json_only(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let Some(declared) = request.headers().get(CONTENT_TYPE) else {
        return next.run(request).await;
    };
    let essence = declared
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        return next.run(request).await;
    }
    ApiError::Rejected {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        detail: format!(
            "bodies are application/json; this request declares {}",
            declared.to_str().unwrap_or("something unreadable")
        ),
    }
    .into_response()
}
