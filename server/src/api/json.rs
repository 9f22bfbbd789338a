//! `ApiJson<T>`: axum's JSON extractor with its rejections turned into problem documents
//! (400 malformed, 413 too large, 415 wrong media type, 422 wrong shape).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
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
