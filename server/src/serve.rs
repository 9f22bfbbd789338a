//! `notify-server serve`: starts the chosen roles in this process and stops them on SIGTERM or
//! Ctrl-C, letting each finish what it is doing.
//!
//! It must not do any role's work: it starts the roles, watches them and stops them.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use notify_shared::UserId;
use notify_shared::api::Channel;
use notify_shared::routing::{EMAIL_QUEUE, WEBHOOK_QUEUE};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::accounts::Accounts;
use crate::cli::Role;
use crate::config::Config;
use crate::consumer::Queue;
use crate::dispatcher::{Dispatcher, Saga};
use crate::ingest::rules::Rules;
use crate::projector::Projector;
use crate::relay::Relay;
use crate::scheduler::Scheduler;
use crate::wake::RelayWaker;
use crate::workers::attempt::Attempt;
use crate::workers::email::{Mail, Mailer};
use crate::workers::runner::Worker;
use crate::workers::webhook::{Hook, Webhooks};
use crate::{api, broker, db, prometheus};

/// Runs `roles` until a termination signal.
pub async fn serve(config: Config, roles: &[Role]) -> anyhow::Result<()> {
    let runs = |role| roles.contains(&role);
    // The api and the relay need the write DB; the projector and the api's queries the read
    // DB, which may be down at start (the api answers 503 to queries, the projector waits).
    let write = if [
        Role::Api,
        Role::Ingest,
        Role::Relay,
        Role::Dispatcher,
        Role::Scheduler,
        Role::Email,
        Role::Webhook,
    ]
    .iter()
    .any(|r| roles.contains(r))
    {
        let write = db::connect_write(&config.write_db, config.write_db_connections)
            .await
            .context("cannot connect to the write DB (is scripts/services running?)")?;
        db::WRITE_MIGRATIONS
            .run(&write)
            .await
            .context("cannot migrate the write DB")?;
        Some(write)
    } else {
        None
    };
    let read = db::connect_read_lazy(&config.read_db, config.read_db_connections)
        .context("bad read DB URL")?;
    if roles.iter().any(|role| *role != Role::Api) {
        // Declared before anything is announced, so that whoever waits for the api can bind.
        let connection = broker::connect(&config.amqp_url, "setup")
            .await
            .context("cannot connect to RabbitMQ (is scripts/services running?)")?;
        broker::declare_topology(&connection)
            .await
            .context("cannot declare the RabbitMQ topology")?;
        connection
            .close(200, "setup done".into())
            .await
            .context("closing the setup connection")?;
    }
    if let (true, Some(write), Some(ops)) = (
        runs(Role::Dispatcher),
        &write,
        &config.delivery.escalation_recipient,
    ) {
        check_escalation_recipient(write, ops).await?;
    }
    // One per process, so that the wakes of all its roles coalesce.
    let relay = write.clone().map(RelayWaker::start);

    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let metrics = prometheus::install().context("cannot install the metrics recorder")?;
    tasks.spawn(prometheus::upkeep(metrics.clone(), shutdown.clone()));
    if let Some(address) = config.metrics_listen {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen for metrics on {address}"))?;
        let address = listener.local_addr()?;
        let (metrics, stop) = (metrics.clone(), shutdown.clone());
        tasks.spawn(async move {
            if let Err(error) = prometheus::serve(listener, metrics, stop).await {
                tracing::error!(%error, "metrics stopped");
            }
        });
        tracing::info!(%address, "metrics listening");
    }
    if let (true, Some(write)) = (runs(Role::Relay), &write) {
        let relay = Relay {
            pool: write.clone(),
            amqp_url: config.amqp_url.clone(),
            batch: config.relay_batch,
            poll: config.relay_poll(),
        };
        tasks.spawn(relay.run(shutdown.clone()));
        tasks.spawn(crate::relay::watch_outbox(write.clone(), shutdown.clone()));
    }
    if runs(Role::Projector) {
        let projector = Projector {
            read: read.clone(),
            amqp_url: config.amqp_url.clone(),
            batch: config.projector_batch,
        };
        tasks.spawn(projector.run(shutdown.clone()));
    }
    if let (Some(write), Some(relay)) = (&write, &relay) {
        spawn_delivery_roles(&config, roles, write, relay, &shutdown, &mut tasks)?;
    }
    if let (true, Some(write), Some(relay)) = (runs(Role::Scheduler), &write, &relay) {
        let scheduler = Scheduler {
            pool: write.clone(),
            poll: config.scheduler_poll(),
            relay: relay.clone(),
        };
        tasks.spawn(scheduler.run(shutdown.clone()));
    }
    let state = match (&write, &relay) {
        (Some(write), Some(relay)) if runs(Role::Api) || runs(Role::Ingest) => {
            Some(app_state(&config, write, &read, relay, metrics.clone())?)
        }
        _ => None,
    };
    if let (true, Some(state)) = (runs(Role::Ingest), &state) {
        if state.rules.is_empty() {
            tracing::warn!("no ingest_rules: every domain event will be dead-lettered (no-rule)");
        }
        tasks.spawn(api::events_queue::run(
            state.clone(),
            config.amqp_url.clone(),
            shutdown.clone(),
        ));
    }
    if let (true, Some(state)) = (runs(Role::Api), state) {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener.local_addr()?;
        let shutdown_for_limit = shutdown.clone();
        let known_tokens = state.known_tokens.clone();
        let (listen_pool, listen_shutdown) = (state.write.clone(), shutdown.clone());
        tasks.spawn(async move { known_tokens.listen(listen_pool, listen_shutdown).await });
        if let Some(limit) = state.rate_limit.clone() {
            tasks.spawn(async move {
                tokio::select! {
                    () = limit.forget_idle() => {}
                    () = shutdown_for_limit.cancelled() => {}
                }
            });
        }
        let (streams, streams_read, streams_shutdown) =
            (state.streams.clone(), read.clone(), shutdown.clone());
        tasks.spawn(async move { streams.run(streams_read, streams_shutdown).await });
        let api_shutdown = shutdown.clone();
        let head_timeout = config.header_timeout();
        let grpc = match config.grpc_listen {
            Some(grpc_address) => {
                let listener = TcpListener::bind(grpc_address)
                    .await
                    .with_context(|| format!("cannot listen for gRPC on {grpc_address}"))?;
                let grpc_address = listener.local_addr()?;
                let (state, grpc_shutdown) = (state.clone(), shutdown.clone());
                tasks.spawn(async move {
                    if let Err(error) = crate::grpc::serve(listener, state, grpc_shutdown).await {
                        tracing::error!(%error, "gRPC gateway stopped");
                    }
                });
                tracing::info!(address = %grpc_address, "gRPC gateway listening");
                Some(grpc_address)
            }
            None => None,
        };
        tasks.spawn(async move {
            if let Err(error) = api::serve(listener, state, head_timeout, api_shutdown).await {
                tracing::error!(%error, "api stopped");
            }
        });
        tracing::info!(%address, "api listening");
        // The lines on stdout, written at once: scripts and tests read the addresses from
        // them (a reader gone after the first line is no error).
        let mut lines = format!("listening on http://{address}\n");
        if let Some(grpc_address) = grpc {
            lines.push_str(&format!("gRPC on http://{grpc_address}\n"));
        }
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(lines.as_bytes())
            .and_then(|()| stdout.flush());
    }
    tracing::info!(?roles, "serving");

    tokio::select! {
        () = terminated() => tracing::info!("shutting down"),
        Some(_) = tasks.join_next() => tracing::error!("a role stopped by itself; shutting down"),
    }
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    if let Some(write) = write {
        write.close().await;
    }
    read.close().await;
    Ok(())
}

/// What the api's handlers and the ingest role's consumer share: pools, the group commit, the
/// limits and the ingest rules.
fn app_state(
    config: &Config,
    write: &PgPool,
    read: &PgPool,
    relay: &RelayWaker,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
) -> anyhow::Result<api::AppState> {
    let accounts =
        Accounts::new(&config.devices, &config.amqp_url).context("bad [devices] configuration")?;
    let rules = match &config.ingest_rules {
        Some(path) => Rules::load(path).context("bad ingest_rules")?,
        None => Rules::default(),
    };
    Ok(api::AppState {
        write: write.clone(),
        read: read.clone(),
        accounts,
        schedule_max_days: config.schedule_max_days,
        rate_limit: api::rate_limit::RateLimit::new(config.rate_limit),
        commands: api::shed::Commands::new(config.max_commands_in_flight),
        known_tokens: api::known_tokens::KnownTokens::default(),
        group_commit: api::group_commit::GroupCommit::start(write.clone(), relay.clone()),
        relay: relay.clone(),
        webhook_allow_private: config.webhook.allow_private,
        smtp_relay: api::smtp_relay::SmtpRelay::new(&config.smtp.host, config.smtp.port),
        metrics,
        rules: Arc::new(rules),
        streams: api::stream::Streams::new(config.max_streams_per_user),
    })
}

/// Refuses to start a dispatcher whose escalations would go nowhere: failures would then
/// vanish with only a warning in the log.
async fn check_escalation_recipient(write: &PgPool, ops: &UserId) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM users WHERE id = $1)")
        .bind(ops.as_str())
        .fetch_one(write)
        .await
        .context("cannot read the users")?;
    anyhow::ensure!(
        exists,
        "delivery.escalation_recipient is {ops}, who is not a user: add them first \
         (notify-server users add {ops} --scope inbox), or leave the setting out"
    );
    Ok(())
}

/// Starts the dispatcher and the channel workers among `roles`.
fn spawn_delivery_roles(
    config: &Config,
    roles: &[Role],
    write: &PgPool,
    relay: &RelayWaker,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) -> anyhow::Result<()> {
    if roles.contains(&Role::Dispatcher) {
        let saga = Saga {
            pool: write.clone(),
            config: config.delivery.clone(),
            relay: relay.clone(),
        };
        let dispatcher = Dispatcher {
            saga,
            amqp_url: config.amqp_url.clone(),
        };
        tasks.spawn(dispatcher.run(shutdown.clone()));
    }
    let worker = |channel, role, name| Worker {
        pool: write.clone(),
        amqp_url: config.amqp_url.clone(),
        channel,
        queue: Queue {
            role,
            name,
            concurrency: 4,
        },
        relay: relay.clone(),
    };
    if roles.contains(&Role::Email) {
        let mailer = Arc::new(Mailer::new(&config.smtp).context("bad [smtp] configuration")?);
        let worker = worker(Channel::Email, "email", EMAIL_QUEUE);
        tasks.spawn(worker.run(shutdown.clone(), move |job| {
            let mailer = Arc::clone(&mailer);
            async move {
                let mail = Mail {
                    delivery_id: job.delivery_id,
                    notification_id: job.notification_id,
                    to: &job.address,
                    notification: &job.notification,
                };
                mailer.send(&mail).await
            }
        }));
    }
    if roles.contains(&Role::Webhook) {
        let webhooks = Arc::new(Webhooks::new(&config.webhook));
        let worker = worker(Channel::Webhook, "webhook", WEBHOOK_QUEUE);
        tasks.spawn(worker.run(shutdown.clone(), move |job| {
            let webhooks = Arc::clone(&webhooks);
            async move {
                let Some(secret) = job.webhook_secret.as_deref() else {
                    return Attempt::Failed {
                        detail: format!("{} has no webhook secret", job.recipient),
                        permanent: true,
                    };
                };
                let hook = Hook {
                    delivery_id: job.delivery_id,
                    notification_id: job.notification_id,
                    url: &job.address,
                    secret,
                    notification: &job.notification,
                };
                webhooks.post(&hook).await
            }
        }));
    }
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn terminated() {
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
