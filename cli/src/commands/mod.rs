//! One module per subcommand. Each takes its parsed arguments, the global flags and the
//! stdout writer, and returns an [`Error`](crate::Error) rather than printing one.

pub mod config;
pub mod send;
