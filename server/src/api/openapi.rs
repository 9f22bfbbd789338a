//! The OpenAPI document, served at `/v1/openapi.json`.
//!
//! It must not describe anything the handlers do not do: the contract test (schemathesis) holds the
//! document to the running api.

use axum::Json;
use axum::http::Method;
use notify_shared::api::IDEMPOTENCY_KEY;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The media type of every error body (RFC 9457).
const PROBLEM_JSON: &str = "application/problem+json";

/// The api's OpenAPI description, built from the route annotations.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "notify", description = "Send notifications and read your inbox."),
    paths(
        super::notifications::send,
        super::notifications::cancel,
        super::inbox::list,
        super::inbox::get,
        super::inbox::events,
        super::inbox::count,
        super::stream::stream,
        super::inbox_commands::read,
        super::inbox_commands::unread,
        super::inbox_commands::read_all,
        super::operations::get,
        super::sent::sent,
        super::preferences::get,
        super::preferences::put,
        super::receipts::receipt,
        super::devices::register,
        super::devices::remove,
        super::events::post,
        super::me::me,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
    ),
    modifiers(&BearerAuth, &Contract)
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The answers every operation can give besides its own, stated once from the rules the
/// router applies to all of them (so a route cannot forget one): errors are problem documents;
/// a request with parameters or a body can be malformed (400); an `Idempotency-Key` can be in
/// use (409) or used for another request (422); a token can be missing or wrong
/// (401) or over the user's rate limit (429, unless the route is notifyd's upkeep); a body can
/// be too large (413) or not JSON (415); a command can find no room (503).
#[derive(Debug)]
struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            for (method, operation) in operations(item) {
                complete(path, &method, operation);
            }
        }
    }
}

/// The operations of `item`, with their methods.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
}

/// Adds to `operation` (of `method` on `path`) the answers [`Contract`] lists, and makes every
/// error answer's body a problem document.
fn complete(path: &str, method: &Method, operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_input = has_body || !parameters.is_empty();
    let keyed = parameters.iter().any(|p| p.name == IDEMPOTENCY_KEY);
    let answers = [
        (has_input, "400", "A malformed body, parameter or header"),
        (secured, "401", "Missing or invalid token"),
        (
            keyed,
            "409",
            "A request with the same Idempotency-Key is still in progress",
        ),
        (has_body, "413", "Body too large"),
        (
            has_body,
            "415",
            "The body is not declared as JSON (`Content-Type: application/json`)",
        ),
        (
            keyed,
            "422",
            "The Idempotency-Key was used for a different request",
        ),
        (
            secured && super::auth::counts_against_rate_limit(method, path),
            "429",
            "Over the user's rate limit (`Retry-After`)",
        ),
        (
            *method != Method::GET,
            "503",
            "Too many commands in progress, or a database unavailable (`Retry-After`)",
        ),
    ];
    let responses = &mut operation.responses.responses;
    for (_, status, description) in answers.into_iter().filter(|(applies, ..)| *applies) {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| ResponseBuilder::new().description(description).into());
    }
    for (status, response) in responses.iter_mut() {
        if let (false, RefOr::T(response)) = (status.starts_with(['1', '2', '3']), response) {
            response.content.shift_remove("application/json");
            response.content.insert(
                PROBLEM_JSON.to_owned(),
                Content::new(Some(Ref::from_schema_name("Problem"))),
            );
        }
    }
}

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    use super::ApiDoc;

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).expect("serializes")
    }

    /// Every operation of the document, as (`METHOD path`, operation).
    fn operations(document: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
        let mut all = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                all.push((
                    format!("{} {path}", method.to_uppercase()),
                    operation.clone(),
                ));
            }
        }
        all
    }

    #[test]
    fn every_error_answer_is_a_documented_problem_document() {
        for (name, operation) in operations(&document()) {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                if status.starts_with(['4', '5']) {
                    let content = response["content"].as_object().expect("a body");
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{name} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn answers_every_route_can_give_are_documented_on_each() {
        let document = document();
        for (name, operation) in operations(&document) {
            let statuses = operation["responses"].as_object().expect("responses");
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            let has_body = operation.get("requestBody").is_some();
            assert_eq!(statuses.contains_key("401"), secured, "{name}: 401");
            assert_eq!(statuses.contains_key("415"), has_body, "{name}: 415");
            if !name.starts_with("GET ") {
                assert!(statuses.contains_key("503"), "{name}: 503");
            }
        }
        let rate_limited = |name: &str| {
            operations(&document)
                .into_iter()
                .find(|(n, _)| n == name)
                .expect(name)
                .1["responses"]
                .get("429")
                .is_some()
        };
        assert!(rate_limited("POST /v1/notifications"));
        assert!(
            !rate_limited("POST /v1/deliveries/{id}/receipt"),
            "notifyd's upkeep"
        );
        assert!(!rate_limited("GET /v1/inbox/count"), "notifyd's upkeep");
    }

    #[test]
    fn limits_are_stated() {
        let document = document();
        for (name, operation) in operations(&document) {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &parameter["schema"];
                match parameter["name"].as_str() {
                    Some("Idempotency-Key") => {
                        assert_eq!(schema["type"], "string", "{name}: {parameter}");
                        assert_eq!(schema["format"], "uuid", "{name}: {parameter}");
                        assert_eq!(parameter["required"], false, "{name}");
                    }
                    Some("limit") => {
                        assert_eq!(schema["minimum"], 1, "{name}: {parameter}");
                        assert_eq!(schema["maximum"], 200, "{name}: {parameter}");
                    }
                    _ => {}
                }
            }
        }
        let send = &document["components"]["schemas"]["SendRequest"]["properties"];
        assert_eq!(send["body"]["minLength"], 1, "{send}");
        assert_eq!(send["to"]["maxItems"], 100, "{send}");
    }
}
