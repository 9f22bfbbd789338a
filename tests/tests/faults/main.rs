//! The fault suite: each scenario streams notifications through the real system while it
//! breaks something on purpose, then classifies every send (see `notify_tests::checker`).
//!
//! It stops and kills the shared RabbitMQ and PostgreSQL servers, so `scripts/test` runs it on
//! its own, one test at a time, after every other test. Traffic stays on loopback.

mod daemon;
mod rig;
mod roles;
mod services;
