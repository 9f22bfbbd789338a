//! `ApiPath<T>` and `ApiQuery<T>`: axum's path and query extractors with their rejections
//! turned into problem documents (a bad id in a path, a bad value in a query: 400), as
//! [`super::json::ApiJson`] does for bodies.
//!
//! It must not let one of axum's plain-text rejections through: every refusal of a path or a query
//! is a problem document.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Path parameters whose errors are problem documents.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection @ PathRejection::FailedToDeserializePathParams(_)) => {
                Err(ApiError::BadRequest {
                    slug: "bad-path",
                    detail: rejection.body_text(),
                })
            }
            Err(other) => Err(ApiError::Rejected {
                status: other.status(),
                detail: other.body_text(),
            }),
        }
    }
}

/// Query parameters whose errors are problem documents.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A NUL can only come percent-encoded; no text the api keeps or searches holds one.
        if parts
            .uri
            .query()
            .is_some_and(|query| query.to_ascii_lowercase().contains("%00"))
        {
            return Err(ApiError::BadRequest {
                slug: "bad-query",
                detail: "a query parameter holds a NUL character".into(),
            });
        }
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection @ QueryRejection::FailedToDeserializeQueryString(_)) => {
                Err(ApiError::BadRequest {
                    slug: "bad-query",
                    detail: rejection.body_text(),
                })
            }
            Err(other) => Err(ApiError::Rejected {
                status: other.status(),
                detail: other.body_text(),
            }),
        }
    }
}
