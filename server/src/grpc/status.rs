//! The api's errors as gRPC statuses: the code the problem's HTTP status maps to, the problem's
//! detail as the message, and `google.rpc` details (`ErrorInfo` with the problem type as its
//! reason, `BadRequest` with each broken limit) that a client can act on.
//!
//! It must not put internals into a status: it says what the HTTP api's problem says.

use notify_shared::problem::Problem;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::api::ApiError;

/// The domain of every `ErrorInfo` this gateway sends.
const DOMAIN: &str = "notify";

/// `error` as a gRPC status.
pub fn status(error: &ApiError) -> Status {
    if let ApiError::Internal(cause) = error {
        tracing::error!(error = format!("{cause:#}"), "gRPC call failed");
    }
    from_problem(&error.problem())
}

/// A problem document as a gRPC status.
pub fn from_problem(problem: &Problem) -> Status {
    let mut details = ErrorDetails::with_error_info(
        problem.slug(),
        DOMAIN,
        std::collections::HashMap::<String, String>::new(),
    );
    if !problem.errors.is_empty() {
        details.set_bad_request(
            problem
                .errors
                .iter()
                .map(|violation| FieldViolation::new(&violation.field, &violation.message))
                .collect::<Vec<_>>(),
        );
    }
    let message = problem
        .detail
        .clone()
        .unwrap_or_else(|| problem.title.to_lowercase());
    Status::with_error_details(code(problem), message, details)
}

/// The code of a problem, by its HTTP status (and type, where one status means several).
fn code(problem: &Problem) -> Code {
    match problem.status {
        400 | 413 | 415 | 422 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 if problem.is("already-dispatched") => Code::FailedPrecondition,
        409 => Code::Aborted,
        429 => Code::ResourceExhausted,
        503 if problem.is("overloaded") => Code::ResourceExhausted,
        503 => Code::Unavailable,
        _ => Code::Internal,
    }
}

/// A request field that is not what it must be.
pub fn invalid(field: &str, message: impl Into<String>) -> Status {
    from_problem(
        &Problem::new(422, "validation", "Invalid Request")
            .with_detail("the request breaks the limits below; nothing was stored")
            .with_errors(vec![notify_shared::problem::Violation::new(
                field,
                message.into(),
            )]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_becomes_the_code_a_grpc_client_expects() {
        let of = |error: ApiError| status(&error).code();
        assert_eq!(of(ApiError::Unauthorized), Code::Unauthenticated);
        assert_eq!(
            of(ApiError::Forbidden(notify_shared::api::Scope::Send)),
            Code::PermissionDenied
        );
        assert_eq!(of(ApiError::NotFound), Code::NotFound);
        assert_eq!(of(ApiError::InFlight), Code::Aborted);
        assert_eq!(
            of(ApiError::AlreadyDispatched(None)),
            Code::FailedPrecondition
        );
        assert_eq!(of(ApiError::KeyReused), Code::InvalidArgument);
        assert_eq!(of(ApiError::Overloaded), Code::ResourceExhausted);
        assert_eq!(of(ApiError::Unavailable), Code::Unavailable);
        let limits = status(&ApiError::Validation(vec![
            notify_shared::problem::Violation::new("body", "the message is empty".into()),
        ]));
        assert_eq!(limits.code(), Code::InvalidArgument);
        let details = limits.get_error_details();
        assert_eq!(
            details.error_info().map(|i| i.reason.as_str()),
            Some("validation")
        );
        let violations = &details
            .bad_request()
            .expect("field violations")
            .field_violations;
        assert_eq!(violations[0].field, "body");
    }
}
