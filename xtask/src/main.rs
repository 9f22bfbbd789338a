//! `cargo xtask generate`: regenerates `man/` and `completions/` from the clap definitions.
//!
//! It must not hold logic: that is `lib.rs`.

use clap::{Parser, Subcommand};

/// Development tasks of the notify workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate the man pages in man/ and the shell completions in completions/
    Generate,
}

fn main() -> anyhow::Result<()> {
    match Args::parse().task {
        Task::Generate => {
            let root = xtask::workspace_root();
            let changed = xtask::write_all(&root)?;
            println!("{changed} file(s) changed in man/ and completions/");
        }
    }
    Ok(())
}
