//! The OpenAPI document, served at `/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        super::me::me,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
    ),
    modifiers(&BearerAuth)
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

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
