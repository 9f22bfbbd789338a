//! `--wait`: through notifyd when it runs, else by polling the server ([`poll`]); a send's
//! wait, which reports each channel as it settles, is [`follow`]. This module is the `--wait`
//! of `read`, `unread` and `status`, and the choice between the daemon and polling.
//!
//! Each operation's wait is registered with the daemon before its command is sent (the
//! operation id is known beforehand: it is the idempotency key), and answered the moment the
//! operation resolves. Without a daemon nothing is registered and the server is polled
//! afterwards, which is said once. If the daemon goes away in the middle, the server is polled
//! for what is left of the time.
//!
//! No wait may last longer than its `--timeout` (30 s unless given).

pub mod follow;
pub mod poll;

use std::time::Duration;

use notify_shared::api::OperationStatus;
use notify_shared::views::OperationView;
use notify_shared::wire_name::WireName;
use tokio::time::Instant;
use uuid::Uuid;

use crate::cli::Globals;
use crate::client::Client;
use crate::error::Error;
use crate::notifyd::{Daemon, DaemonError, Outcome, Waiter, or_fallback};
use crate::output::{note, tell};
use crate::wait::poll::{Until, Waiting, polling_notice, wait, waiting_for};

/// How long to ask the server for the last state of an operation that timed out.
const LAST_STATUS_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a wait through the daemon also asks the server, as a safety net.
const SAFETY_POLL: Duration = Duration::from_secs(2);

/// The waits of one command.
#[derive(Debug)]
pub struct Waits {
    /// The daemon, until it turns out not to be there.
    daemon: Option<Daemon>,
    /// The operations, in the order they were registered.
    operations: Vec<Uuid>,
    /// Their waits with the daemon (empty without one).
    waiters: Vec<Waiter>,
    /// How long to wait in all.
    timeout: Duration,
    /// When the time runs out, counted from the first registration.
    deadline: Instant,
    quiet: bool,
    verbose: bool,
}

impl Waits {
    /// No waits yet, for `timeout` in all.
    pub fn new(timeout: Duration, server: &str, globals: &Globals) -> Self {
        Self {
            daemon: Some(Daemon::local(server, globals.verbose)),
            operations: Vec::new(),
            waiters: Vec::new(),
            timeout,
            deadline: Instant::now() + timeout,
            quiet: globals.quiet,
            verbose: globals.verbose,
        }
    }

    /// Whether the daemon will answer (so far).
    pub fn through_daemon(&self) -> bool {
        self.daemon.is_some()
    }

    /// Waits for `operation`; call before sending its command. Without a daemon this only
    /// takes note; a daemon that is there but unusable is an error, before anything is sent.
    pub async fn register(&mut self, operation: Uuid) -> Result<(), Error> {
        self.operations.push(operation);
        let Some(daemon) = &self.daemon else {
            return Ok(());
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        match or_fallback(daemon.wait(operation, left).await, self.verbose)? {
            Some(waiter) => self.waiters.push(waiter),
            None => self.poll_instead(),
        }
        Ok(())
    }

    /// Forgets `operation`: its command was refused.
    pub fn cancel(&mut self, operation: Uuid) {
        self.operations.retain(|id| *id != operation);
        self.waiters.retain(|w| w.operation() != operation);
    }

    /// Polls the server instead of asking the daemon.
    pub fn poll_instead(&mut self) {
        self.daemon = None;
        self.waiters.clear();
    }

    /// Waits until every operation reaches `until` and returns their views in the order they
    /// were registered. Gives up with [`Error::TimedOut`] (exit 4).
    pub async fn finish(self, client: &Client, until: Until) -> Result<Vec<OperationView>, Error> {
        if self.daemon.is_none() {
            polling_notice(self.quiet);
            return wait(client, &self.operations, until, self.timeout, self.quiet).await;
        }
        let mut views = Vec::with_capacity(self.operations.len());
        let mut timed_out = Vec::new();
        let mut waiters = self.waiters.into_iter();
        let mut lost = None;
        {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let waiting = Waiting::start(left, self.quiet);
            while let Some(mut waiter) = waiters.next() {
                let id = waiter.operation();
                waiting.show(waiting_for(id, None));
                let outcome = tokio::select! {
                    outcome = waiter.outcome() => outcome,
                    status = server_settles(client, id) => Ok(Outcome::Resolved(status)),
                };
                match outcome {
                    Ok(Outcome::Resolved(status)) => {
                        views.push(settled_view(client, id, status, self.verbose).await);
                    }
                    Ok(Outcome::TimedOut) => timed_out.push(id),
                    Err(error) if error.falls_back() => {
                        let rest = waiters.map(|w| w.operation());
                        lost = Some((error, std::iter::once(id).chain(rest).collect::<Vec<_>>()));
                        break;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        if let Some((error, rest)) = lost {
            lost_daemon(&error, self.quiet);
            let left = self.deadline.saturating_duration_since(Instant::now());
            views.extend(wait(client, &rest, until, left, self.quiet).await?);
        }
        match timed_out.first() {
            Some(first) => Err(Error::TimedOut {
                operation: *first,
                last: last_status(client, *first).await,
                after: self.timeout,
                others: timed_out.len() - 1,
            }),
            None => Ok(views),
        }
    }
}

/// Says, unless `quiet`, that the daemon went away during a wait and the server is polled.
pub(crate) fn lost_daemon(error: &DaemonError, quiet: bool) {
    if !quiet {
        tell(format_args!(
            "notify: lost notifyd while waiting ({error}); polling the server"
        ));
    }
}

/// The view of an operation the daemon said resolved as `status`. The read model has it by
/// then (the resolution is announced after it is written); if the server cannot say, the
/// daemon's word is enough.
pub(crate) async fn settled_view(
    client: &Client,
    id: Uuid,
    status: OperationStatus,
    verbose: bool,
) -> OperationView {
    match client.operation(id).await {
        Ok(view) => OperationView { status, ..view },
        Err(error) => {
            note(
                verbose,
                format_args!(
                    "cannot fetch operation {id} ({error}); notifyd says {}",
                    status.as_str()
                ),
            );
            OperationView {
                id,
                kind: None,
                status,
                notifications: Vec::new(),
                resolved_at: None,
            }
        }
    }
}

/// The state the server last knew of `id`, for a timeout message; `None` if it cannot say
/// quickly.
/// Asks the server every few seconds until `id` has a final state. A safety net beside the
/// daemon's answer: a daemon that serves another server or account (a different `--server`,
/// another token) would never resolve this operation.
pub(crate) async fn server_settles(client: &Client, id: Uuid) -> OperationStatus {
    loop {
        tokio::time::sleep(SAFETY_POLL).await;
        if let Some(status) = last_status(client, id).await.filter(|s| s.is_final()) {
            return status;
        }
    }
}

pub(crate) async fn last_status(client: &Client, id: Uuid) -> Option<OperationStatus> {
    tokio::time::timeout(LAST_STATUS_TIMEOUT, client.operation(id))
        .await
        .ok()?
        .ok()
        .map(|view| view.status)
}
