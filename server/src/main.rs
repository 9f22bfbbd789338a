//! `notify-server`: parses arguments, runs the command, turns errors into exit codes
//! (1 failure, 2 usage or configuration).
//!
//! It must not hold logic of its own: each command is a call into the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use notify_server::accounts::Accounts;
use notify_server::cli::{Args, Command, RulesCommand, ServicesCommand, UsersCommand};
use notify_server::config::Config;
use notify_server::ingest::cloudevent::DomainEvent;
use notify_server::ingest::rules::Rules;
use notify_server::{db, projector, serve, service_accounts, telemetry, users};

fn main() -> ExitCode {
    let args = Args::parse();
    telemetry::init();
    // Checking rules needs no configuration, so it works on any machine.
    if let Command::Rules(RulesCommand::Check { file, event }) = &args.command {
        return match check_rules(file, event.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("notify-server: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("notify-server: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("notify-server: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("notify-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { roles } => serve::serve(config, &roles).await,
        Command::Migrate => {
            let pool = connect(&config).await?;
            db::WRITE_MIGRATIONS
                .run(&pool)
                .await
                .context("cannot migrate the write DB")?;
            let read = connect_read(&config).await?;
            db::READ_MIGRATIONS
                .run(&read)
                .await
                .context("cannot migrate the read DB")?;
            eprintln!("write DB and read DB migrated");
            Ok(())
        }
        Command::RebuildReadModel { progress } => {
            let write = connect(&config).await?;
            let read = connect_read(&config).await?;
            let started = std::time::Instant::now();
            let rebuild = projector::rebuild::rebuild(&write, &read, &config.amqp_url, progress);
            let report = tokio::select! {
                report = rebuild => report?,
                () = serve::terminated() => {
                    projector::rebuild::abandon(&read)
                        .await
                        .context("interrupted, and cannot remove the partial rebuild (the next run will)")?;
                    anyhow::bail!(
                        "interrupted: the read model is unchanged, and the partial rebuild was removed"
                    );
                }
            };
            let seconds = started.elapsed().as_secs_f64();
            let memory = report
                .peak_memory
                .map(|bytes| format!(", peak memory {} MiB", bytes / (1024 * 1024)))
                .unwrap_or_default();
            eprintln!(
                "rebuilt the read model from {} events in {seconds:.1} s ({:.0} events/s{memory}), \
                 then caught up {} events the projectors applied meanwhile; the api reads it now",
                report.events,
                report.events as f64 / seconds.max(1e-9),
                report.caught_up,
            );
            Ok(())
        }
        Command::Users(command) => {
            let pool = connect(&config).await?;
            let token = match &command {
                UsersCommand::Add { name, scopes } => users::add(&pool, name, scopes).await?,
                UsersCommand::Token { name, scopes } => {
                    users::add_token(&pool, name, scopes).await?
                }
                UsersCommand::Delete { name } => {
                    let accounts = Accounts::new(&config.devices, &config.amqp_url)
                        .context("bad [devices] configuration")?;
                    let deleted = users::delete(&pool, &accounts, name).await?;
                    eprintln!(
                        "deleted user {name}: {} token(s) revoked, {} device(s) removed, \
                         broker account and its connections closed",
                        deleted.tokens, deleted.devices
                    );
                    return Ok(());
                }
            };
            // The token alone goes to stdout, so scripts can capture it.
            eprintln!("token for {}; it is shown only this once:", command.name());
            println!("{token}");
            Ok(())
        }
        Command::Services(command) => {
            let pool = connect(&config).await?;
            let accounts = Accounts::new(&config.devices, &config.amqp_url)
                .context("bad [devices] configuration")?;
            match command {
                ServicesCommand::Add { name } => {
                    let credentials = service_accounts::add(&pool, &accounts, &name).await?;
                    eprintln!(
                        "service {name}: publish CloudEvents to the {} exchange with routing key {name}, \
                         or POST them to /v1/events with the token; shown only this once:",
                        credentials.exchange
                    );
                    println!("{}", serde_json::to_string_pretty(&credentials)?);
                }
                ServicesCommand::Delete { name } => {
                    let deleted = service_accounts::delete(&pool, &accounts, &name).await?;
                    eprintln!(
                        "deleted service {name}: broker account and its connections closed, {} \
                         token(s) revoked",
                        deleted.tokens
                    );
                }
            }
            Ok(())
        }
        Command::Rules(RulesCommand::Check { file, event }) => check_rules(&file, event.as_deref()),
    }
}

/// `rules check FILE [--event EVENT]`: the rules' verdict, and the send they make of the event.
fn check_rules(file: &std::path::Path, event: Option<&std::path::Path>) -> anyhow::Result<()> {
    let rules = Rules::load(file)?;
    let Some(event) = event else {
        eprintln!("{}: {} rule(s), all usable", file.display(), rules.len());
        return Ok(());
    };
    let text = std::fs::read(event).with_context(|| format!("cannot read {}", event.display()))?;
    let event = DomainEvent::structured(&text)
        .with_context(|| format!("{} is not a CloudEvent", event.display()))?;
    let rendered = rules.render(&event, chrono::Utc::now())?;
    eprintln!(
        "{}: {} rule(s); the event makes this send:",
        file.display(),
        rules.len()
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "send": rendered.request,
            "cause": rendered.cause,
        }))?
    );
    Ok(())
}

async fn connect_read(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    db::connect_read(&config.read_db, 2)
        .await
        .context("cannot connect to the read DB (is scripts/services running?)")
}

async fn connect(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    db::connect_write(&config.write_db, 2)
        .await
        .context("cannot connect to the write DB (is scripts/services running?)")
}
