//! The freedesktop notification server on the D-Bus session bus, over one connection kept
//! open: `Notify` (a notify-rust `Notification` sent as notify-rust would send it),
//! `CloseNotification`, and the `ActionInvoked` / `NotificationClosed` signals.
//!
//! One connection, opened before a popup is due, means a popup's `Notify` leaves the daemon
//! within microseconds of its event being recorded as shown (see `desktop`), and no
//! connection per open popup. This module speaks D-Bus only; it keeps no popup state.
//!
//! It must not decide when a popup is shown, replaced or closed: `desktop` decides, this only
//! speaks D-Bus.

use std::collections::HashMap;

use futures::StreamExt;
use notify_rust::Notification;

use zbus::{Connection, MatchRule, MessageStream};

/// The notification server's bus name, object path and interface.
const NAME: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const INTERFACE: &str = "org.freedesktop.Notifications";

/// A signal from the notification server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The user invoked `action` on popup `id`.
    Action {
        /// The popup.
        id: u32,
        /// The action key.
        action: String,
    },
    /// Popup `id` closed (expired, dismissed, closed by us).
    Closed {
        /// The popup.
        id: u32,
    },
}

/// A session bus connection with the notification server's signals subscribed.
#[derive(Debug)]
pub struct Session {
    /// The connection.
    connection: Connection,
    /// The server's signals.
    signals: MessageStream,
}

impl Session {
    /// Connects to the session bus (`DBUS_SESSION_BUS_ADDRESS`) and subscribes to the
    /// notification server's signals.
    pub async fn connect() -> zbus::Result<Self> {
        let connection = Connection::session().await?;
        let rule = MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(INTERFACE)
            .path(PATH)
            .build()?;
        let signals = MessageStream::for_match_rule(rule, &connection, None).await?;
        Ok(Self {
            connection,
            signals,
        })
    }

    /// Shows `notification` (replacing popup `replaces` unless 0); returns its id.
    pub async fn notify(&self, notification: &Notification, replaces: u32) -> zbus::Result<u32> {
        let hints: HashMap<&str, zbus::Variant<'_>> =
            notification.hints.iter().map(Into::into).collect();
        let reply = self
            .connection
            .call_method(
                Some(NAME),
                PATH,
                Some(INTERFACE),
                "Notify",
                &(
                    &notification.appname,
                    replaces,
                    &notification.icon,
                    &notification.summary,
                    &notification.body,
                    &notification.actions,
                    hints,
                    i32::from(notification.timeout),
                ),
            )
            .await?;
        reply.body().deserialize()
    }

    /// Closes popup `id`.
    pub async fn close(&self, id: u32) -> zbus::Result<()> {
        self.connection
            .call_method(Some(NAME), PATH, Some(INTERFACE), "CloseNotification", &id)
            .await
            .map(drop)
    }

    /// The next signal; `None` once the connection is gone.
    pub async fn next_signal(&mut self) -> Option<Signal> {
        loop {
            let message = match self.signals.next().await? {
                Ok(message) => message,
                Err(error) => {
                    tracing::debug!(%error, "unreadable D-Bus message");
                    continue;
                }
            };
            let header = message.header();
            let signal = match header.member().map(|m| m.as_str()) {
                Some("ActionInvoked") => message
                    .body()
                    .deserialize::<(u32, String)>()
                    .ok()
                    .map(|(id, action)| Signal::Action { id, action }),
                Some("NotificationClosed") => message
                    .body()
                    .deserialize::<(u32, u32)>()
                    .ok()
                    .map(|(id, _reason)| Signal::Closed { id }),
                _ => None,
            };
            if let Some(signal) = signal {
                return Some(signal);
            }
        }
    }
}

/// Whether `error` leaves the connection usable (the bus or the server answered with an
/// error, such as "no notification server"), rather than broken.
pub fn connection_survives(error: &zbus::Error) -> bool {
    matches!(error, zbus::Error::MethodError(..) | zbus::Error::FDO(_))
}
