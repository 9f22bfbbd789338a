//! `notify-server`: parses arguments, runs the command, turns errors into exit codes
//! (1 failure, 2 usage or configuration).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use notify_server::cli::{Args, Command, UsersCommand};
use notify_server::config::Config;
use notify_server::{db, serve, telemetry, users};

fn main() -> ExitCode {
    let args = Args::parse();
    telemetry::init();
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
            eprintln!("write DB migrated");
            Ok(())
        }
        Command::Users(command) => {
            let pool = connect(&config).await?;
            let token = match &command {
                UsersCommand::Add { name, scopes } => users::add(&pool, name, scopes).await?,
                UsersCommand::Token { name, scopes } => {
                    users::add_token(&pool, name, scopes).await?
                }
            };
            // The token alone goes to stdout, so scripts can capture it.
            eprintln!("token for {}; it is shown only this once:", command.name());
            println!("{token}");
            Ok(())
        }
    }
}

async fn connect(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    db::connect_write(&config.write_db, 2)
        .await
        .context("cannot connect to the write DB (is scripts/services running?)")
}
