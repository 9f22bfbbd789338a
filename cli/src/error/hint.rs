//! The one line under an error that says what to do about it.
//!
//! A hint must not repeat its error: it says what to do next.

use notify_shared::config::{ConfigError, ENV_CONFIG, ENV_SERVER, ENV_TOKEN};
use notify_shared::problem::Problem;

use super::Error;

impl Error {
    /// What the user can do about it, one line.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Config(ConfigError::NoConfigDir) => {
                format!("set {ENV_CONFIG} to the path of a config file")
            }
            Self::Config(ConfigError::Read { path, .. }) => {
                format!(
                    "check that {} is a readable file, or set {ENV_CONFIG}",
                    path.display()
                )
            }
            Self::Config(ConfigError::Permissions { path, .. }) => {
                format!(
                    "the file holds a token, so make it private: chmod 600 {}",
                    path.display()
                )
            }
            Self::Config(ConfigError::Parse { path, .. }) => format!(
                "{} takes two keys: server = \"http://host:port\" and token = \"...\"",
                path.display()
            ),
            Self::Config(ConfigError::BadServer(..)) => {
                format!(
                    "pass --server http://host:port, or fix {ENV_SERVER} or server in the config file"
                )
            }
            Self::Config(ConfigError::Write { .. }) => {
                format!("check that you may write there, or set {ENV_CONFIG} to another path")
            }
            Self::LoginRefused { .. } | Self::LoginToken(_) => {
                "give the whole token `notify-server users add NAME` (or `users token NAME`) \
                 printed; nothing was written"
                    .into()
            }
            Self::NoToken { path } => format!(
                "run `notify login`, or set {ENV_TOKEN}, or add token = \"...\" to {} \
                 (notify-server users add NAME prints one)",
                path.display()
            ),
            Self::BadToken { path } | Self::MalformedToken { path } => {
                format!("check {ENV_TOKEN} or token in {}", path.display())
            }
            Self::Invalid(_) => "fix what is listed above; nothing was sent".into(),
            Self::StdinIsTerminal => {
                "pipe the message in (echo hi | notify send -) or pass it as an argument".into()
            }
            Self::Stdin(_) | Self::StdinNotUtf8 => "pass the message as an argument instead".into(),
            Self::Conflict(_) => "drop one of the two; nothing was changed".into(),
            Self::Secret { .. } => "put the secret (whsec_...) alone in a file only you can read \
                 (chmod 600) and pass its path, or pipe it in with --webhook-secret-file -"
                .into(),
            Self::Refused { problem } => refused_hint(problem),
            Self::NoNotification(_) => {
                "`notify list` shows the ids in your inbox, `notify sent` those you sent".into()
            }
            Self::NotScheduled(_) => {
                "`notify sent --scheduled` lists the sends still waiting to go out".into()
            }
            Self::AlreadyDispatched(id) => format!("see what became of it: notify show {id}"),
            Self::CommandFailed { .. } => return None,
            Self::Spawn { code: 127, .. } => {
                "check the name, or give its path; a shell command needs sh -c '...'".into()
            }
            Self::Spawn { .. } => "check that the file is a program you may execute".into(),
            Self::NoOperation(_) => {
                "use an id printed by `notify send`, `notify read` or `notify unread`".into()
            }
            Self::OperationEnded {
                notification: Some(notification),
                ..
            } => format!("see what happened: notify show {notification} --events"),
            Self::OperationEnded { id, .. } => format!("see the operation: notify status {id}"),
            Self::TimedOut { operation, .. } => {
                format!("the operation may still complete: notify status {operation}")
            }
            Self::Unreachable { attempts, .. } => format!(
                "is notify-server running there? (tried {attempts} time{}); \
                 `notify config show` tells which server is used and why",
                if *attempts == 1 { "" } else { "s" }
            ),
            Self::ServerFailed { .. } => {
                "the service is having trouble; try again later, and check its log if it persists"
                    .into()
            }
            Self::BadResponse { .. } => {
                "check that the server is notify-server (`notify config show`), or report a bug"
                    .into()
            }
            Self::Daemon(error) => error.hint(),
            Self::NoNotifyd { .. } => "install notifyd in the same directory as notify \
                 (cargo install --path daemon), or put it in PATH"
                .into(),
            Self::Exec { .. } => "check that notifyd is a program for this machine and that \
                 you may run it"
                .into(),
            Self::UnitExists { .. } => "pass --force to replace it, or edit it yourself".into(),
            Self::Install { .. } => "check that the directory exists and is writable by you".into(),
            Self::Output(_) => return None,
            Self::Internal(_) => "this is a bug in notify; please report it".into(),
        })
    }
}

fn refused_hint(problem: &Problem) -> String {
    match problem.status {
        400 if problem.is("bad-cursor") => {
            "`--before` takes the cursor of the `more:` line a previous page printed".into()
        }
        400 => "the server could not read the request; notify and notify-server may be different versions".into(),
        403 => "ask an admin for a token with the needed scope (`notify config show` lists yours)".into(),
        404 => "check the server URL (`notify config show`)".into(),
        409 => "the same operation is still being processed; try again in a moment".into(),
        413 => "the request is too large; shorten the message".into(),
        422 => "fix what is listed above and try again".into(),
        429 => "too many requests; wait a moment and try again".into(),
        _ => "the server refused the request; nothing was changed".into(),
    }
}
