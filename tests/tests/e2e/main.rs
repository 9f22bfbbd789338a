//! End-to-end tests against real RabbitMQ and PostgreSQL (`scripts/services`), one binary.

mod api_errors;
mod batches;
mod cli_config;
mod cli_delivery;
mod cli_inbox;
mod cli_output;
mod cli_schedule;
mod contract;
mod daemon;
mod daemon_cli;
mod delivery;
mod devices;
mod idempotency;
mod inbox;
mod ingest;
mod install;
mod metrics;
mod privacy;
mod projector;
mod relay;
mod schedule;
mod security;
mod send;
mod shutdown;
mod store;
mod topology;
