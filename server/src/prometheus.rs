//! Metrics in Prometheus' text format: every process records what its roles do (the `metrics`
//! facade's macros, under the names below) and serves the page at `GET /metrics` on
//! `metrics_listen` when set; the api also serves it to admin tokens.
//!
//! The names are the contract with dashboards and alerts (README, "Metrics"): each one is
//! declared here once, with its help text.
//!
//! No metric may be named outside this file: a name written inline would be a second contract.

use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::{describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// HTTP requests answered by the api, by route template, method and status.
pub const API_REQUESTS: &str = "notify_api_requests_total";
/// How long the api took to answer, by route template and method.
pub const API_REQUEST_SECONDS: &str = "notify_api_request_duration_seconds";
/// Requests refused before they did anything, by reason (`rate_limit`, `overloaded`).
pub const API_REFUSED: &str = "notify_api_refused_total";
/// Outbox rows not yet published.
pub const OUTBOX_DEPTH: &str = "notify_outbox_depth";
/// Age of the oldest outbox row, in seconds (0 when the outbox is empty).
pub const OUTBOX_OLDEST_SECONDS: &str = "notify_outbox_oldest_age_seconds";
/// Stored events published (and confirmed) by the relay, by kind: the pipeline's progress.
/// Sagas started are `notification.dispatched`, ended `notification.delivered` and
/// `notification.failed`, escalations `notification.escalated`.
pub const EVENTS: &str = "notify_events_total";
/// Deliveries by channel and step (`requested`, `retry`, `succeeded`, `failed`), from the
/// events the relay published.
pub const DELIVERIES: &str = "notify_deliveries_total";
/// From a batch's first publish to its last confirm.
pub const RELAY_CONFIRM_SECONDS: &str = "notify_relay_confirm_duration_seconds";
/// Events a consumer handled, by queue.
pub const CONSUMER_EVENTS: &str = "notify_consumer_events_total";
/// Events in each message a consumer took, by queue.
pub const CONSUMER_BATCH_SIZE: &str = "notify_consumer_batch_size";
/// From taking a message to settling it, by queue.
pub const CONSUMER_SECONDS: &str = "notify_consumer_handling_duration_seconds";
/// Events that failed and went back to their queue (the broker dead-letters one that keeps
/// failing), by queue.
pub const CONSUMER_FAILED: &str = "notify_consumer_failed_events_total";
/// Messages dead-lettered at once because they are not events, by queue.
pub const CONSUMER_DEAD_LETTERED: &str = "notify_consumer_dead_lettered_total";
/// gRPC calls answered, by method (`Send`, …) and status code (`Ok`, `NotFound`, …).
pub const GRPC_REQUESTS: &str = "notify_grpc_requests_total";
/// Time to answer a gRPC call (to its first message, for a stream), by method.
pub const GRPC_REQUEST_SECONDS: &str = "notify_grpc_request_duration_seconds";
/// Other services' domain events taken in, by transport (`amqp`, `http`) and outcome
/// (`accepted`, or the problem type that refused it, such as `no-rule`).
pub const INGESTED_EVENTS: &str = "notify_ingested_events_total";
/// From an event's time to its projection into the read model.
pub const PROJECTOR_LAG_SECONDS: &str = "notify_projector_lag_seconds";

/// Latency buckets, in seconds: 1 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Batch-size buckets, in events.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0];

/// How often histograms are compacted when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs this process's recorder and declares every metric.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCH_BUCKETS)?
        .install_recorder()?;
    describe_counter!(
        API_REQUESTS,
        "HTTP requests answered by the api, by route template, method and status."
    );
    describe_histogram!(
        API_REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "How long the api took to answer, by route template and method."
    );
    describe_counter!(
        API_REFUSED,
        "Requests refused before they did anything, by reason (rate_limit, overloaded)."
    );
    describe_gauge!(OUTBOX_DEPTH, "Outbox rows not yet published.");
    describe_gauge!(
        OUTBOX_OLDEST_SECONDS,
        metrics::Unit::Seconds,
        "Age of the oldest outbox row (0 when the outbox is empty)."
    );
    describe_counter!(
        EVENTS,
        "Stored events published by the relay, by kind (sagas: notification.dispatched, \
         .delivered, .failed; escalations: notification.escalated)."
    );
    describe_counter!(
        DELIVERIES,
        "Deliveries by channel and step (requested, retry, succeeded, failed)."
    );
    describe_histogram!(
        RELAY_CONFIRM_SECONDS,
        metrics::Unit::Seconds,
        "From a relay batch's first publish to its last confirm."
    );
    describe_counter!(CONSUMER_EVENTS, "Events a consumer handled, by queue.");
    describe_histogram!(
        CONSUMER_BATCH_SIZE,
        "Events in each message a consumer took, by queue."
    );
    describe_histogram!(
        CONSUMER_SECONDS,
        metrics::Unit::Seconds,
        "From taking a message to settling it, by queue."
    );
    describe_counter!(
        CONSUMER_FAILED,
        "Events that failed and went back to their queue, by queue."
    );
    describe_counter!(
        CONSUMER_DEAD_LETTERED,
        "Messages dead-lettered at once because they are not events, by queue."
    );
    describe_counter!(
        GRPC_REQUESTS,
        "gRPC calls answered, by method and status code."
    );
    describe_histogram!(
        GRPC_REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer a gRPC call (to its first message, for a stream), by method."
    );
    describe_counter!(
        INGESTED_EVENTS,
        "Other services' domain events taken in, by transport and outcome (accepted, or the problem type)."
    );
    describe_histogram!(
        PROJECTOR_LAG_SECONDS,
        metrics::Unit::Seconds,
        "From an event's time to its projection into the read model."
    );
    Ok(handle)
}

/// The page, in the text exposition format.
pub fn page(handle: &PrometheusHandle) -> impl IntoResponse + use<> {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
}

/// Serves `GET /metrics` (and nothing else) on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move { page(&handle) }
        }),
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Compacts the histograms every few seconds until `shutdown`: without it, their samples pile
/// up between scrapes (or forever, when nobody scrapes).
pub async fn upkeep(handle: PrometheusHandle, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(UPKEEP) => handle.run_upkeep(),
            () = shutdown.cancelled() => return,
        }
    }
}
