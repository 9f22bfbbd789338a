//! Channel workers: deliver a notification by e-mail or webhook and say what came of it.
//!
//! They must not decide a retry or a saga's end: they report each attempt's outcome, and the
//! dispatcher decides.
pub mod attempt;
pub mod email;
pub mod runner;
pub mod webhook;
