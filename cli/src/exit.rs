//! The exit codes of `notify`: what every error maps to, below everything that fails.
//!
//! It must not depend on anything else in the crate: every module may use it.

/// The exit codes of `notify` (see DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// It worked.
    Success = 0,
    /// The operation failed: the server refused it.
    Failed = 1,
    /// Usage or configuration error; nothing was sent.
    Usage = 2,
    /// The service could not be reached (or answered 5xx after retries).
    Unreachable = 3,
    /// Timed out waiting for an operation to resolve.
    TimedOut = 4,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}
