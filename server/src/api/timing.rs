//! `Server-Timing` (W3C): every response says how long the server took to produce it, as
//! `app;dur=<milliseconds>`, so a client (a browser's developer tools, `notify-bench`) can tell
//! the server's time from the network's.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::HeaderName;
use axum::middleware::Next;
use axum::response::Response;

/// The `Server-Timing` header.
static SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Runs the request and adds its `Server-Timing`.
pub async fn server_timing(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={millis:.3}")) {
        response.headers_mut().insert(SERVER_TIMING.clone(), value);
    }
    response
}
