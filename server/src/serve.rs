//! `notify-server serve`: starts the chosen roles in this process and stops them on SIGTERM or
//! Ctrl-C, letting each finish what it is doing.

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::Role;
use crate::config::Config;
use crate::relay::Relay;
use crate::{api, broker, db};

/// Runs `roles` until a termination signal.
pub async fn serve(config: Config, roles: &[Role]) -> anyhow::Result<()> {
    let write = db::connect_write(&config.write_db, config.write_db_connections)
        .await
        .context("cannot connect to the write DB (is scripts/services running?)")?;
    db::WRITE_MIGRATIONS
        .run(&write)
        .await
        .context("cannot migrate the write DB")?;

    if roles.contains(&Role::Relay) {
        let connection = broker::connect(&config.amqp_url, "setup")
            .await
            .context("cannot connect to RabbitMQ (is scripts/services running?)")?;
        broker::declare_topology(&connection)
            .await
            .context("cannot declare the RabbitMQ topology")?;
        connection
            .close(200, "setup done")
            .await
            .context("closing the setup connection")?;
    }

    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    if roles.contains(&Role::Relay) {
        let relay = Relay {
            pool: write.clone(),
            amqp_url: config.amqp_url.clone(),
            batch: config.relay_batch,
            poll: config.relay_poll(),
        };
        tasks.spawn(relay.run(shutdown.clone()));
    }
    if roles.contains(&Role::Api) {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener.local_addr()?;
        let state = api::AppState {
            write: write.clone(),
        };
        let api_shutdown = shutdown.clone();
        tasks.spawn(async move {
            if let Err(error) = api::serve(listener, state, api_shutdown).await {
                tracing::error!(%error, "api stopped");
            }
        });
        tracing::info!(%address, "api listening");
        // The one line on stdout: scripts and tests read the address from it.
        println!("listening on http://{address}");
    }
    tracing::info!(?roles, "serving");

    tokio::select! {
        () = terminated() => tracing::info!("shutting down"),
        Some(_) = tasks.join_next() => tracing::error!("a role stopped by itself; shutting down"),
    }
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    write.close().await;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
