//! Problem documents (RFC 9457, `application/problem+json`): every error the api answers.
//!
//! A problem's detail is written for the person who sent the request: it must not carry the
//! server's internals.

use serde::{Deserialize, Serialize};

/// The media type of a problem document.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem, `urn:notify:problem:<slug>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened this time, and what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields that were wrong, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
}

impl Problem {
    /// A problem of kind `slug` (see [`Problem::kind`]).
    pub fn new(status: u16, slug: &str, title: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:notify:problem:{slug}"),
            title: title.into(),
            status,
            detail: None,
            errors: Vec::new(),
        }
    }

    /// Whether this is a problem of kind `slug` (see [`Problem::new`]).
    /// The problem type's short name (`no-rule` of `urn:notify:problem:no-rule`).
    pub fn slug(&self) -> &str {
        self.kind
            .strip_prefix("urn:notify:problem:")
            .unwrap_or(&self.kind)
    }

    pub fn is(&self, slug: &str) -> bool {
        self.kind
            .strip_prefix("urn:notify:problem:")
            .is_some_and(|kind| kind == slug)
    }

    /// Adds the detail of this occurrence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds the fields that were wrong.
    pub fn with_errors(mut self, errors: Vec<Violation>) -> Self {
        self.errors = errors;
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.title.to_lowercase())?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for violation in &self.errors {
            write!(f, "\n  {}: {}", violation.field, violation.message)?;
        }
        Ok(())
    }
}

/// One field that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// The field, as named in the request body.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: &str, message: String) -> Self {
        Self {
            field: field.into(),
            message,
        }
    }
}
