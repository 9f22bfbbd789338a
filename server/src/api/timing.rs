//! How long each request took: every response says it in `Server-Timing` (W3C), as
//! `app;dur=<milliseconds>`, so a client (a browser's developer tools, `notify-bench`) can tell
//! the server's time from the network's; and the request metrics count it by route template
//! (never the path itself: ids would make a series each), method and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::http::header::HeaderName;
use axum::middleware::Next;
use axum::response::Response;

/// The `Server-Timing` header.
static SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

use crate::prometheus::{API_REQUEST_SECONDS, API_REQUESTS};

/// Runs the request, adds its `Server-Timing` and counts it.
pub async fn server_timing(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let mut response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16().to_string();
    metrics::histogram!(API_REQUEST_SECONDS, "route" => route.clone(), "method" => method.clone())
        .record(seconds);
    metrics::counter!(API_REQUESTS, "route" => route, "method" => method, "status" => status)
        .increment(1);
    let millis = seconds * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={millis:.3}")) {
        response.headers_mut().insert(SERVER_TIMING.clone(), value);
    }
    response
}
