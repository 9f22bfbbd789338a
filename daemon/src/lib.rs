//! `notifyd`, the per-user daemon of notify: consumes this device's broker queue, shows
//! desktop popups exactly once and reports them with receipts, keeps the unread count, and
//! answers the CLI on a local socket (status, count, waits, watch).
//!
//! `daemon::run` wires the components; each module says what it does and must not do.
//! Components talk over one event enum on a broadcast channel (`events`) and share state
//! through the hub (`hub`).

pub mod api;
pub mod backoff;
pub mod broker;
pub mod cli;
pub mod count;
pub mod daemon;
pub mod desktop;
pub mod device;
pub mod events;
pub mod hub;
pub mod instance;
pub mod paths;
pub mod popup;
pub mod receipts;
pub mod seen;
pub mod socket;
pub mod systemd;
pub mod telemetry;

#[cfg(test)]
mod testing;
