//! notify-server: the service side of notify, one binary with several roles.
//!
//! `main.rs` only parses arguments and maps errors to exit codes; everything else is here so
//! that tests can start the real thing.

pub mod accounts;
pub mod api;
pub mod broker;
pub mod cli;
pub mod config;
pub mod consumer;
pub mod db;
pub mod dispatcher;
pub mod failpoint;
pub mod grpc;
pub mod ingest;
pub mod pipeline;
pub mod projector;
pub mod prometheus;
pub mod redact;
pub mod relay;
pub mod scheduler;
pub mod serve;
pub mod service_accounts;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod users;
pub mod wake;
pub mod workers;
