//! Arguments and help of the setup subcommands: `notify login` and `notify completions`.
//!
//! Declarations only: nothing here reads, loads or sends (see `cli/mod.rs`).

use clap::Args;
use clap_complete::Shell;

pub(super) const LOGIN_LONG_ABOUT: &str = "\
Check a server URL and an API token, then save both in the configuration file.

On a terminal, notify asks for the server URL (Enter keeps the one shown; --server answers \
it beforehand) and for the token, which is not echoed. Otherwise it reads the token from the \
first line of stdin and takes the server from --server, NOTIFY_SERVER, the config file or the \
default, in that order.

The token is checked against the server (GET /v1/me) before anything is written: a refused \
token exits 2 and an unreachable server exits 3, and the file is left as it was. On success \
the file (`notify config path`) is replaced by one holding the server and the token, created \
private (mode 0600, as the CLI and notifyd require), and notify prints who the token belongs \
to. NOTIFY_SERVER and NOTIFY_TOKEN, when set, still override the file; notify says so.

`notify-server users add NAME` (or `users token NAME`) prints a token to log in with.";

pub(super) const LOGIN_AFTER_HELP: &str = "\
Examples:
  # Asks for the server and the token:
  notify login
  # In a script, the token on stdin:
  notify login --server https://notify.example.com < ~/secrets/notify-token
  notify-server users token alice | notify login --server http://127.0.0.1:8470";

/// Arguments of `notify login` (the server comes from the global --server).
#[derive(Debug, Clone, Copy, Args)]
pub struct LoginArgs {}

pub(super) const COMPLETIONS_LONG_ABOUT: &str = "\
Print the shell completion script of notify for SHELL on stdout.

The same scripts, and those of notifyd and notify-server, are in the completions/ folder of \
the source tree.";

pub(super) const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  notify completions bash > ~/.local/share/bash-completion/completions/notify
  notify completions zsh > ~/.zfunc/_notify   # with fpath+=(~/.zfunc) before compinit
  notify completions fish > ~/.config/fish/completions/notify.fish
  notify completions elvish >> ~/.config/elvish/rc.elv
  notify completions powershell >> $PROFILE";

/// Arguments of `notify completions`.
#[derive(Debug, Clone, Copy, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: Shell,
}
