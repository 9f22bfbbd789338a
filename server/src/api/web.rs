//! The inbox page at `/` (`server/web/`: plain HTML, CSS and JavaScript, no build step), built
//! into the binary and served with a strict Content-Security-Policy: the page loads nothing
//! from anywhere but this server, runs no inline script, and cannot be framed.
//!
//! It must not serve anything that is not in `server/web/`, or take a token anywhere but the
//! page's own `Authorization` headers (the page never puts one in a URL).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// What the page may load, and from where: this server only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /`: the page.
pub(super) async fn index() -> Response {
    asset(
        include_str!("../../web/index.html"),
        "text/html; charset=utf-8",
    )
}

/// `GET /web/app.js`.
pub(super) async fn script() -> Response {
    asset(
        include_str!("../../web/app.js"),
        "text/javascript; charset=utf-8",
    )
}

/// `GET /web/style.css`.
pub(super) async fn style() -> Response {
    asset(
        include_str!("../../web/style.css"),
        "text/css; charset=utf-8",
    )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
