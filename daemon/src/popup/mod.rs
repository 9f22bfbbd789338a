//! Desktop popups on the D-Bus session bus (`DBUS_SESSION_BUS_ADDRESS`): notify-rust's
//! `Notification` describes each popup, sent over one kept-open connection (`dbus`).
//!
//! Everything D-Bus runs on one dedicated thread with its own small runtime, off the daemon's
//! runtime: connecting, showing, closing, and reading the server's signals (the "Mark read"
//! action, popups closing). The thread remembers which popup shows which notification, so a
//! popup whose notification was read elsewhere is closed with the server's
//! `CloseNotification` (which dunst honours). This module shows and closes; it must not
//! decide what to show.

mod dbus;
pub mod text;

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use notify_rust::{Hint, Notification, Urgency};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use self::dbus::{Session, Signal};
use self::text::PopupText;

/// The application name popups carry.
pub const APP_NAME: &str = "notify";
/// The action that marks the notification read.
pub const READ_ACTION: &str = "read";
/// Its label.
pub const READ_LABEL: &str = "Mark read";
/// How long the notification server may take to answer one call.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Most open popups remembered (for closing and actions); past this the oldest is forgotten
/// (it stays on screen, but can no longer be closed by the daemon nor report its action).
const MAX_TRACKED: usize = 1024;

/// One popup to show.
#[derive(Debug, Clone)]
pub struct Popup {
    /// The notification it shows; `None` for a burst summary (which has no action).
    pub notification: Option<Uuid>,
    /// Its text; the body escaped for the body markup, the summary plain.
    pub text: PopupText,
    /// Its urgency.
    pub urgency: Urgency,
    /// The id of a popup this one replaces in place (a burst summary being updated).
    pub replaces: Option<u32>,
}

/// What the user did with a popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pressed "Mark read" on the popup of this notification.
    MarkRead(Uuid),
}

/// Why a popup was not shown.
#[derive(Debug, thiserror::Error)]
pub enum PopupError {
    /// No notification server answered on the session bus (or the bus is unreachable).
    #[error("no notification server reachable on the D-Bus session bus: {0}")]
    Unavailable(String),
    /// The popup thread is gone.
    #[error("the popup thread stopped")]
    Stopped,
}

enum Command {
    /// Connect now if not connected, so that the next show sends at once.
    Ready {
        reply: oneshot::Sender<Result<(), PopupError>>,
    },
    Show {
        popup: Popup,
        reply: oneshot::Sender<Result<u32, PopupError>>,
    },
    Close(Uuid),
    CloseAll,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ready { .. } => f.write_str("Ready"),
            Self::Show { popup, .. } => f.debug_struct("Show").field("popup", popup).finish(),
            Self::Close(id) => f.debug_tuple("Close").field(id).finish(),
            Self::CloseAll => f.write_str("CloseAll"),
        }
    }
}

/// The handle to the popup thread.
#[derive(Debug, Clone)]
pub struct Popups {
    /// Commands to the thread.
    commands: mpsc::UnboundedSender<Command>,
}

impl Popups {
    /// Starts the popup thread; actions the user takes arrive on `actions`.
    pub fn start(actions: mpsc::UnboundedSender<Action>) -> anyhow::Result<Self> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        std::thread::Builder::new()
            .name("notifyd-popups".into())
            .spawn(move || runtime.block_on(serve(receiver, actions)))?;
        Ok(Self { commands })
    }

    /// Makes sure the connection to the session bus is open.
    pub async fn ready(&self) -> Result<(), PopupError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Ready { reply })
            .map_err(|_| PopupError::Stopped)?;
        answer.await.map_err(|_| PopupError::Stopped)?
    }

    /// Shows `popup`; returns the server's id for it.
    pub async fn show(&self, popup: Popup) -> Result<u32, PopupError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Show { popup, reply })
            .map_err(|_| PopupError::Stopped)?;
        answer.await.map_err(|_| PopupError::Stopped)?
    }

    /// Closes the popup of `notification`, if one is open.
    pub fn close(&self, notification: Uuid) {
        let _ = self.commands.send(Command::Close(notification));
    }

    /// Closes every open popup.
    pub fn close_all(&self) {
        let _ = self.commands.send(Command::CloseAll);
    }
}

/// The popup thread's state.
#[derive(Debug, Default)]
struct Thread {
    /// The session bus connection, once open; dropped when it breaks.
    session: Option<Session>,
    /// Open popups: server id → the notification shown (`None`: a burst summary).
    open: HashMap<u32, Option<Uuid>>,
    /// The same ids, oldest first, to bound `open`.
    order: VecDeque<u32>,
}

impl Thread {
    /// The connection, opened if needed.
    async fn session(&mut self) -> Result<&Session, PopupError> {
        if self.session.is_none() {
            let connected = tokio::time::timeout(CALL_TIMEOUT, Session::connect())
                .await
                .map_err(|_| {
                    PopupError::Unavailable("the session bus did not answer in time".into())
                })?
                .map_err(|e| PopupError::Unavailable(e.to_string()))?;
            self.session = Some(connected);
        }
        self.session.as_ref().ok_or(PopupError::Stopped)
    }

    async fn show(&mut self, popup: &Popup) -> Result<u32, PopupError> {
        let notification = build(popup);
        let session = self.session().await?;
        let shown = tokio::time::timeout(
            CALL_TIMEOUT,
            session.notify(&notification, popup.replaces.unwrap_or(0)),
        )
        .await;
        match shown {
            Ok(Ok(id)) => {
                if self.open.insert(id, popup.notification).is_none() {
                    self.order.push_back(id);
                }
                while self.order.len() > MAX_TRACKED {
                    if let Some(old) = self.order.pop_front() {
                        self.open.remove(&old);
                    }
                }
                Ok(id)
            }
            Ok(Err(error)) => {
                if !dbus::connection_survives(&error) {
                    self.session = None;
                }
                Err(PopupError::Unavailable(error.to_string()))
            }
            Err(_) => {
                self.session = None;
                Err(PopupError::Unavailable(
                    "the notification server did not answer in time".into(),
                ))
            }
        }
    }

    /// Closes the popups `which` selects.
    async fn close(&mut self, which: impl Fn(&Option<Uuid>) -> bool) {
        let ids: Vec<u32> = self
            .open
            .iter()
            .filter(|(_, notification)| which(notification))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.forget(id);
            if let Some(session) = &self.session {
                match tokio::time::timeout(CALL_TIMEOUT, session.close(id)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::debug!(%error, popup = id, "cannot close a popup"),
                    Err(_) => tracing::debug!(popup = id, "closing a popup timed out"),
                }
            }
        }
    }

    fn forget(&mut self, id: u32) {
        if self.open.remove(&id).is_some() {
            self.order.retain(|o| *o != id);
        }
    }

    fn signal(&mut self, signal: Signal, actions: &mpsc::UnboundedSender<Action>) {
        match signal {
            Signal::Action { id, action } => {
                if action == READ_ACTION
                    && let Some(Some(notification)) = self.open.get(&id)
                {
                    let _ = actions.send(Action::MarkRead(*notification));
                }
            }
            Signal::Closed { id } => self.forget(id),
        }
    }
}

/// What woke the popup thread.
enum Wake {
    Command(Option<Command>),
    Signal(Option<Signal>),
}

async fn serve(
    mut commands: mpsc::UnboundedReceiver<Command>,
    actions: mpsc::UnboundedSender<Action>,
) {
    let mut thread = Thread::default();
    // Connect early, so that the first popup does not wait for it; a failure here is
    // retried when a popup is due.
    if let Err(error) = thread.session().await {
        tracing::debug!(%error, "no D-Bus session yet");
    }
    loop {
        let wake = tokio::select! {
            command = commands.recv() => Wake::Command(command),
            signal = async {
                match thread.session.as_mut() {
                    Some(session) => session.next_signal().await,
                    None => std::future::pending().await,
                }
            } => Wake::Signal(signal),
        };
        match wake {
            Wake::Command(None) => return,
            Wake::Command(Some(Command::Ready { reply })) => {
                let _ = reply.send(thread.session().await.map(drop));
            }
            Wake::Command(Some(Command::Show { popup, reply })) => {
                let _ = reply.send(thread.show(&popup).await);
            }
            Wake::Command(Some(Command::Close(notification))) => {
                thread.close(|shown| *shown == Some(notification)).await;
            }
            Wake::Command(Some(Command::CloseAll)) => thread.close(|_| true).await,
            Wake::Signal(Some(signal)) => thread.signal(signal, &actions),
            Wake::Signal(None) => {
                tracing::debug!("the D-Bus session connection closed");
                thread.session = None;
            }
        }
    }
}

/// The notify-rust notification for `popup`.
fn build(popup: &Popup) -> Notification {
    let mut notification = Notification::new();
    notification
        .appname(APP_NAME)
        .summary(&popup.text.summary)
        .body(&popup.text.body)
        .urgency(popup.urgency)
        .hint(Hint::Category("im.received".into()));
    if popup.notification.is_some() {
        notification.action(READ_ACTION, READ_LABEL);
    }
    notification
}

#[cfg(test)]
pub(crate) mod fake {
    //! A stand-in for the popup thread: the test answers each command itself.

    use super::*;

    /// What the pipeline asked of the popup thread.
    #[derive(Debug)]
    pub enum Asked {
        /// To show this popup.
        Show(Popup),
        /// To close the popup of this notification.
        Close(Uuid),
        /// To close every popup.
        CloseAll,
    }

    /// The receiving end.
    #[derive(Debug)]
    pub struct FakeServer {
        commands: mpsc::UnboundedReceiver<Command>,
        /// Answers waiting for [`FakeServer::answer`].
        pending: Option<oneshot::Sender<Result<u32, PopupError>>>,
    }

    /// A [`Popups`] whose commands arrive at the returned [`FakeServer`].
    pub fn popups() -> (Popups, FakeServer) {
        let (commands, receiver) = mpsc::unbounded_channel();
        (
            Popups { commands },
            FakeServer {
                commands: receiver,
                pending: None,
            },
        )
    }

    impl FakeServer {
        /// The next command, within five seconds; a show is answered by [`FakeServer::answer`].
        pub async fn next(&mut self) -> Asked {
            let command = tokio::time::timeout(Duration::from_secs(5), self.commands.recv())
                .await
                .expect("a command in time")
                .expect("popups alive");
            match command {
                Command::Ready { reply } => {
                    let _ = reply.send(Ok(()));
                    Box::pin(self.next()).await
                }
                Command::Show { popup, reply } => {
                    self.pending = Some(reply);
                    Asked::Show(popup)
                }
                Command::Close(id) => Asked::Close(id),
                Command::CloseAll => Asked::CloseAll,
            }
        }

        /// Answers the last show: shown, or no notification server.
        pub fn answer(&mut self, shown: bool) {
            let reply = self.pending.take().expect("a show to answer");
            let _ = reply.send(if shown {
                Ok(1)
            } else {
                Err(PopupError::Unavailable("no server (test)".into()))
            });
        }

        /// Whether nothing more was asked within `wait`.
        pub async fn quiet(&mut self, wait: Duration) -> bool {
            tokio::time::timeout(wait, self.commands.recv())
                .await
                .is_err()
        }
    }
}
