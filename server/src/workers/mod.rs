//! Channel workers: deliver a notification by e-mail or webhook and say what came of it.
pub mod attempt;
pub mod email;
pub mod runner;
pub mod webhook;
