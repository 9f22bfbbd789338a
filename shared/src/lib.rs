//! Contracts between the parts of notify: everything that crosses a process boundary.
//!
//! If a type is serializable, it lives here and is part of some boundary: the CloudEvents
//! envelope and event types (write DB and broker), routing keys, HTTP request and response
//! bodies, problem documents, and the client configuration file; and the one rule by which
//! every surface shows other people's text (`text`). Nothing in this crate does I/O apart from
//! reading and saving the client configuration file (`config`).

pub mod api;
pub mod commands;
pub mod config;
pub mod event;
pub mod limits;
pub mod local;
pub mod ndjson;
pub mod problem;
pub mod routing;
pub mod stream;
pub mod text;
pub mod user_id;
pub mod views;
pub mod wire_name;

pub use user_id::UserId;
