//! Command-line interface of `notify-server`.
//!
//! It only declares the arguments and their help: it must not do anything a command does (`main.rs`
//! calls the library for that).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use notify_shared::UserId;
use notify_shared::api::Scope;

/// The notify service: api, relay and the other roles, migrations and users.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = "\
Examples:
  notify-server migrate
  notify-server users add alice
  notify-server users delete alice
  notify-server serve
  notify-server serve --roles relay
  notify-server rebuild-read-model
  notify-server services add billing
  notify-server rules check rules.toml --event assigned.json

Configuration: notify-server.toml in the working directory (or --config), then NOTIFY_SERVER_*
environment variables: NOTIFY_SERVER_LISTEN, NOTIFY_SERVER_WRITE_DB, NOTIFY_SERVER_READ_DB,
NOTIFY_SERVER_AMQP_URL, NOTIFY_SERVER_RELAY_BATCH, NOTIFY_SERVER_RELAY_POLL_MS,
NOTIFY_SERVER_PROJECTOR_BATCH, NOTIFY_SERVER_WRITE_DB_CONNECTIONS, NOTIFY_SERVER_READ_DB_CONNECTIONS,
NOTIFY_SERVER_SCHEDULE_MAX_DAYS, NOTIFY_SERVER_SCHEDULER_POLL_MS, NOTIFY_SERVER_INGEST_RULES.
Logs go to stderr, filtered by NOTIFY_LOG (default: info).")]
pub struct Args {
    /// Configuration file (default: ./notify-server.toml when it exists).
    #[arg(
        long,
        global = true,
        env = "NOTIFY_SERVER_CONFIG",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the migrations of the write DB and the read DB (serve does it too).
    Migrate,
    /// Build the read model again from the event store, then switch to it.
    ///
    /// The new model is built beside the live one, which the api and the projectors go on
    /// using; when it is complete it catches up with what they applied meanwhile and replaces
    /// the live one in one transaction. Interrupted before that, it changes nothing: on Ctrl-C
    /// or SIGTERM it removes what it built (killed, the next run does). Projectors may keep
    /// running.
    RebuildReadModel {
        /// Show a progress bar (events per second, time left) instead of a line per phase.
        #[arg(long)]
        progress: bool,
    },
    /// Manage users and their API tokens.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage the other services that send their domain events (CloudEvents) to notify.
    #[command(subcommand)]
    Services(ServicesCommand),
    /// Check the rules that turn other services' domain events into notifications.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Run server roles until SIGTERM or Ctrl-C.
    ///
    /// With the api role it prints `listening on http://ADDR` on stdout once it accepts
    /// requests.
    Serve {
        /// Roles to run in this process, comma-separated.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "api,relay,projector,dispatcher,scheduler,email,webhook,ingest"
        )]
        roles: Vec<Role>,
    },
}

/// `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user and print its first API token (shown only this once).
    Add {
        /// The user id: 1 to 63 of a-z, 0-9, '_' and '-'.
        name: UserId,
        /// Scopes of the token (repeat or comma-separate).
        #[arg(long = "scope", value_delimiter = ',', default_value = "send,inbox")]
        scopes: Vec<Scope>,
    },
    /// Delete a user: revoke every token, remove their devices and broker account, and close
    /// their broker connections at once.
    ///
    /// The events they sent or received stay (events are never deleted). Running it again
    /// after a broker failure finishes the job.
    Delete {
        /// The user id.
        name: UserId,
    },
    /// Make another API token for an existing user and print it (shown only this once).
    Token {
        /// The user id.
        name: UserId,
        /// Scopes of the token (repeat or comma-separate).
        #[arg(long = "scope", value_delimiter = ',', default_value = "send,inbox")]
        scopes: Vec<Scope>,
    },
}

/// `services` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServicesCommand {
    /// Let a service send its domain events: make its broker account (it may publish to the
    /// `notify.ingest` exchange under routing keys that start with its name, and do nothing
    /// else) and an API token with the `events` scope for `POST /v1/events`, and print both
    /// (shown only this once). Its notifications come from NAME.
    ///
    /// Running it again for an existing service makes a new broker password and a new token
    /// (the old token stays valid until `services delete`).
    Add {
        /// The service's name: 1 to 63 of a-z, 0-9, '_' and '-'; the sender of its
        /// notifications.
        name: UserId,
    },
    /// Revoke a service: delete its broker account (its connections close at once) and its
    /// tokens. The notifications it caused stay.
    Delete {
        /// The service's name.
        name: UserId,
    },
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check a rules file (the server's `ingest_rules`): TOML, known keys, templates that
    /// compile, recipients given; with `--event`, render the send the rules make of that event.
    ///
    /// Exits 0 when the rules are usable (and the event makes a send), 1 otherwise, saying
    /// what is wrong and where.
    Check {
        /// The rules file.
        file: PathBuf,
        /// A CloudEvents 1.0 event in JSON (structured mode) to render the rules against.
        #[arg(long)]
        event: Option<PathBuf>,
    },
}

impl UsersCommand {
    /// The user the command is about.
    pub fn name(&self) -> &UserId {
        match self {
            Self::Add { name, .. } | Self::Token { name, .. } | Self::Delete { name } => name,
        }
    }
}

/// A role of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// HTTP api: commands and queries.
    Api,
    /// Outbox relay: write DB to RabbitMQ.
    Relay,
    /// Projector: events to the read DB (its only writer).
    Projector,
    /// Dispatcher: the saga of each notification (channels, retries, outcome, escalation).
    Dispatcher,
    /// Scheduler: dispatches scheduled sends at their time (write DB only).
    Scheduler,
    /// E-mail worker: delivers the e-mail channel over SMTP.
    Email,
    /// Webhook worker: delivers the webhook channel over HTTP.
    Webhook,
    /// Ingest: other services' domain events from the `notify.ingest` exchange, as sends.
    Ingest,
}
