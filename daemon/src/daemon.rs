//! Startup and shutdown: loads the configuration, locks and opens the state, binds the socket (then
//! `READY=1`), starts every component, and on SIGTERM/SIGINT stops them in order (stop
//! consuming, finish the popup in progress, flush receipts for up to 3 s, remove the socket).
//!
//! Wiring only: no component logic lives here.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use notify_shared::config::{ClientConfig, ENV_TOKEN};
use notify_shared::local;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::Api;
use crate::broker::Broker;
use crate::desktop::{self, Desktop, reactions};
use crate::device::{self, Registrar};
use crate::events;
use crate::hub::{self, Hub};
use crate::instance::Instance;
use crate::paths;
use crate::popup::Popups;
use crate::receipts::drain::{self, Receipts};
use crate::receipts::{RECEIPTS_FILE, ReceiptQueue};
use crate::seen::{SEEN_FILE, Seen, SeenStore};
use crate::socket;
use crate::{count, systemd};

/// How long receipts are still sent after a stop signal.
pub const FLUSH_GRACE: Duration = Duration::from_secs(3);
/// How long the broker may take to stop consuming and close.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A problem only the user can fix (configuration, permissions, a refused token): exit 2,
/// which the systemd unit does not restart on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Misconfigured(String);

fn misconfigured(error: impl std::fmt::Display) -> anyhow::Error {
    Misconfigured(error.to_string()).into()
}

/// The exit code for an error `run` returned.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    if error.downcast_ref::<Misconfigured>().is_some()
        || error.downcast_ref::<device::Fatal>().is_some()
    {
        2
    } else {
        1
    }
}

/// Runs the daemon until a stop signal (`Ok`) or a failure it cannot recover from.
pub async fn run(args: crate::cli::Args) -> anyhow::Result<()> {
    let started = Instant::now();
    // Installed first, so that a stop during startup is a clean stop too.
    let stop_signal = stop_signal()?;
    let config = ClientConfig::load(None).map_err(misconfigured)?;
    let token = config.token.clone().ok_or_else(|| {
        misconfigured(format!(
            "no API token in {}; run `notify login` or set {ENV_TOKEN}",
            config.path.display()
        ))
    })?;
    let device = args.device_name();
    let state_dir = paths::state_dir().map_err(misconfigured)?;
    paths::ensure_private_dir(&state_dir).map_err(|e| misconfigured(format!("{e:#}")))?;
    let socket_path = local::socket_path();
    // Held until the daemon exits: one daemon per state directory.
    let _instance =
        Instance::lock(&state_dir, &socket_path).map_err(|e| misconfigured(format!("{e:#}")))?;
    let seen = Seen::new(SeenStore::open(&state_dir.join(SEEN_FILE))?);
    let receipts = Receipts::new(ReceiptQueue::open(&state_dir.join(RECEIPTS_FILE))?);
    let api = Api::new(&config.server, token)?;
    let hub = Hub::shared();
    hub::lock(&hub).set_identity(device.clone(), None);
    let bus = events::bus();
    let shutdown = CancellationToken::new();

    let registrar = Registrar::new(api.clone(), &state_dir, device.clone());
    // A device file others may read is a problem to fix, not to retry.
    registrar
        .check()
        .map_err(|e| misconfigured(format!("{e:#}")))?;
    let (actions, action_receiver) = mpsc::unbounded_channel();
    let popups = Popups::start(actions)?;

    let listener = socket::bind(&socket_path).map_err(|e| misconfigured(format!("{e:#}")))?;
    let context = Arc::new(socket::Context {
        hub: Arc::clone(&hub),
        bus: bus.clone(),
        receipts: receipts.clone(),
        server: config.server.clone(),
        started,
    });
    let socket_task = tokio::spawn(socket::serve(listener, context, shutdown.clone()));
    tracing::info!(socket = %socket_path.display(), %device, server = %config.server, state = %state_dir.display(), "ready");
    systemd::ready("ready; connecting to the broker");

    let live = Arc::new(AtomicU64::new(0));
    let (desktop_sender, desktop_receiver) = mpsc::unbounded_channel();
    let desktop = Desktop {
        hub: Arc::clone(&hub),
        seen: seen.clone(),
        receipts: receipts.clone(),
        popups: popups.clone(),
        api: api.clone(),
        bus: bus.clone(),
        device: device.clone(),
        live: Arc::clone(&live),
        give_up_after: desktop::GIVE_UP,
    };
    let desktop_done = CancellationToken::new();
    let desktop_task = {
        let done = desktop_done.clone().drop_guard();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            desktop.run(desktop_receiver, shutdown).await;
            drop(done);
        })
    };
    let helpers = [
        tokio::spawn(reactions::close_on_read(
            popups,
            bus.clone(),
            shutdown.clone(),
        )),
        tokio::spawn(reactions::act(
            api.clone(),
            action_receiver,
            shutdown.clone(),
        )),
        tokio::spawn(count::run(
            api.clone(),
            Arc::clone(&hub),
            bus.clone(),
            shutdown.clone(),
        )),
    ];
    let receipts_stop = CancellationToken::new();
    let drainer = tokio::spawn(drain::run(
        receipts,
        api.clone(),
        receipts_stop.clone(),
        FLUSH_GRACE,
    ));
    let broker = Broker {
        registrar,
        hub,
        seen,
        bus,
        desktop: desktop_sender,
        live,
        heartbeat_s: args.heartbeat,
    };
    let mut broker_task = tokio::spawn(broker.run(shutdown.clone(), desktop_done));

    let outcome = tokio::select! {
        name = stop_signal => {
            tracing::info!(signal = name, "stopping");
            Ok(())
        }
        result = &mut broker_task => match result {
            Ok(Ok(())) => Err(anyhow::anyhow!("the broker consumer stopped")),
            Ok(Err(error)) => Err(error),
            Err(error) => Err(error.into()),
        },
    };
    systemd::stopping();
    shutdown.cancel();
    if !broker_task.is_finished() {
        let _ = tokio::time::timeout(STOP_TIMEOUT, &mut broker_task).await;
    }
    let _ = tokio::time::timeout(STOP_TIMEOUT, desktop_task).await;
    receipts_stop.cancel();
    let _ = drainer.await;
    for helper in helpers {
        let _ = helper.await;
    }
    let _ = socket_task.await;
    tracing::info!("stopped");
    outcome
}

/// Resolves to the name of the first SIGTERM or SIGINT.
fn stop_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}
