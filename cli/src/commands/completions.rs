//! `notify completions SHELL`: the completion script, generated from the clap definitions
//! (the same bytes as `completions/` in the source tree, which `cargo xtask generate` writes).
//!
//! It must not differ from `completions/`: both come from the same clap definitions.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;

/// Runs `notify completions`.
pub fn run(args: CompletionsArgs, out: &mut dyn Write) -> Result<(), Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "notify", &mut script);
    out.write_all(&script).map_err(Error::Output)
}
