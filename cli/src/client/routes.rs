//! The inbox, operation, sent and preferences routes of the v1 api, one typed method each.
//!
//! A 404 on a route that names an id becomes [`Error::NoNotification`] or
//! [`Error::NoOperation`]: the server answers 404 both for an unknown id and for someone
//! else's, and says no more than that on purpose.
//!
//! It must not tell an unknown id from someone else's: the server does not, on purpose.

use notify_shared::commands::{CommandAccepted, PreferencesAccepted, PreferencesUpdate};
use notify_shared::views::{
    InboxQuery, NotificationPage, NotificationView, OperationView, Preferences, SentQuery,
    Timeline, UnreadCount,
};
use uuid::Uuid;

use super::Client;
use crate::error::Error;

/// No query string.
const NO_QUERY: &[(&str, &str)] = &[];

/// The `type` of the 409 problem that says a scheduled notification already went out.
pub const ALREADY_DISPATCHED: &str = "urn:notify:problem:already-dispatched";

/// Which bodiless command `POST /v1/notifications/{id}/read|unread|cancel` sends about one
/// notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `…/read`.
    Read,
    /// `…/unread`.
    Unread,
    /// `…/cancel`: stop a scheduled send.
    Cancel,
}

impl Mark {
    /// The last segment of the route, which is also the verb.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Unread => "unread",
            Self::Cancel => "cancel",
        }
    }
}

impl Client {
    /// `GET /v1/notifications`: a page of the inbox, newest first.
    pub async fn inbox(&self, query: &InboxQuery) -> Result<NotificationPage, Error> {
        self.get("/v1/notifications", query).await
    }

    /// `GET /v1/sent`: a page of what the caller sent, newest first.
    pub async fn sent(&self, query: &SentQuery) -> Result<NotificationPage, Error> {
        self.get("/v1/sent", query).await
    }

    /// `GET /v1/notifications/{id}`.
    pub async fn notification(&self, id: Uuid) -> Result<NotificationView, Error> {
        self.get(&format!("/v1/notifications/{id}"), NO_QUERY)
            .await
            .map_err(|e| missing(e, Error::NoNotification(id)))
    }

    /// `GET /v1/notifications/{id}/events`: its history, oldest first.
    pub async fn timeline(&self, id: Uuid) -> Result<Timeline, Error> {
        self.get(&format!("/v1/notifications/{id}/events"), NO_QUERY)
            .await
            .map_err(|e| missing(e, Error::NoNotification(id)))
    }

    /// `POST /v1/notifications/{id}/read`, `…/unread` or `…/cancel`, as operation `operation`.
    /// A cancel's 404 means no scheduled notification of the caller's, and its 409
    /// [`ALREADY_DISPATCHED`] that it went out already.
    pub async fn mark(
        &self,
        id: Uuid,
        mark: Mark,
        operation: Uuid,
    ) -> Result<CommandAccepted, Error> {
        let path = format!("/v1/notifications/{id}/{}", mark.as_str());
        let result = self.command(&path, operation).await;
        match mark {
            Mark::Read | Mark::Unread => result.map_err(|e| missing(e, Error::NoNotification(id))),
            Mark::Cancel => result.map_err(|e| match e {
                Error::Refused { problem } if problem.kind == ALREADY_DISPATCHED => {
                    Error::AlreadyDispatched(id)
                }
                other => missing(other, Error::NotScheduled(id)),
            }),
        }
    }

    /// `POST /v1/inbox/read-all`, as operation `operation`.
    pub async fn read_all(&self, operation: Uuid) -> Result<CommandAccepted, Error> {
        self.command("/v1/inbox/read-all", operation).await
    }

    /// `GET /v1/inbox/count`.
    pub async fn unread_count(&self) -> Result<UnreadCount, Error> {
        self.get("/v1/inbox/count", NO_QUERY).await
    }

    /// `GET /v1/preferences`: the caller's channels, addresses, and whether a webhook secret
    /// is stored.
    pub async fn preferences(&self) -> Result<Preferences, Error> {
        self.get("/v1/preferences", NO_QUERY).await
    }

    /// `PUT /v1/preferences`: replaces the caller's preferences with `update`, as operation
    /// `operation`.
    pub async fn set_preferences(
        &self,
        operation: Uuid,
        update: &PreferencesUpdate,
    ) -> Result<PreferencesAccepted, Error> {
        self.put("/v1/preferences", operation, update).await
    }

    /// `GET /v1/operations/{id}`.
    pub async fn operation(&self, id: Uuid) -> Result<OperationView, Error> {
        self.get(&format!("/v1/operations/{id}"), NO_QUERY)
            .await
            .map_err(|e| missing(e, Error::NoOperation(id)))
    }
}

/// `instead` when `error` is a 404, else `error`.
fn missing(error: Error, instead: Error) -> Error {
    match error {
        Error::Refused { problem } if problem.status == 404 => instead,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_shared::problem::Problem;

    #[test]
    fn only_a_404_means_missing() {
        let refused = |status| Error::Refused {
            problem: Box::new(Problem::new(status, "x", "X")),
        };
        let id = Uuid::nil();
        assert!(matches!(
            missing(refused(404), Error::NoNotification(id)),
            Error::NoNotification(_)
        ));
        assert!(matches!(
            missing(refused(403), Error::NoNotification(id)),
            Error::Refused { .. }
        ));
    }
}
