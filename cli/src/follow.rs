//! `notify send --wait`: follow a send until it settles, reporting each channel's outcome on
//! stderr as soon as it is known.
//!
//! Polls the operation like [`crate::wait`] does, and once it is dispatched also
//! `GET /v1/notifications/{id}` for each recipient whose notification has not settled, to
//! learn its deliveries. Each delivery's outcome is printed once. It never prints on stdout,
//! and `--quiet` silences it; what exit code the result means is for the caller to decide.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use notify_shared::api::{Channel, OperationStatus, SendResponse, SentNotification};
use notify_shared::views::{DeliveryStatus, NotificationStatus, NotificationView, OperationView};
use uuid::Uuid;

use crate::client::Client;
use crate::deliveries::{outcome_line, rank, settled, sorted};
use crate::error::Error;
use crate::render::name;
use crate::wait::{Polled, Until, Waiting, waiting_for};

/// Where a followed send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The operation in its final state, or `scheduled`.
    pub view: OperationView,
    /// A notification that had a channel fail, for the hint; else the first one.
    pub notification: Option<Uuid>,
}

/// Follows the send `response` answered for, for `timeout` in all. Stops on a final state or
/// `scheduled`; gives up with [`Error::TimedOut`] (exit 4), saying what is still pending.
pub async fn follow(
    client: &Client,
    response: &SendResponse,
    timeout: Duration,
    quiet: bool,
) -> Result<Followed, Error> {
    let mut follower = Follower {
        client,
        response,
        waiting: Waiting::start(timeout, quiet),
        progress: Progress::new(&response.notifications),
        last: None,
        quiet,
    };
    match follower.rounds().await? {
        Some(followed) => Ok(followed),
        None => {
            if let Some(note) = follower.progress.pending_note() {
                follower.say(note);
            }
            Err(Error::TimedOut {
                operation: response.operation_id,
                last: follower.last,
                after: timeout,
                others: 0,
            })
        }
    }
}

/// One send being followed.
struct Follower<'a> {
    client: &'a Client,
    response: &'a SendResponse,
    waiting: Waiting,
    progress: Progress,
    /// The last state seen of the operation.
    last: Option<OperationStatus>,
    quiet: bool,
}

impl Follower<'_> {
    /// Polls until the operation settles (`Some`) or the time runs out (`None`).
    async fn rounds(&mut self) -> Result<Option<Followed>, Error> {
        let id = self.response.operation_id;
        loop {
            self.waiting.show(self.progress.summary(id, self.last));
            let view = match self.waiting.poll(self.client, id).await? {
                Polled::OutOfTime => return Ok(None),
                Polled::NotYetVisible => None,
                Polled::Seen(view) => Some(view),
            };
            if let Some(view) = view {
                self.last = Some(view.status);
                let done = Until::FinalOrScheduled.reached(view.status);
                if has_deliveries(view.status) && !self.deliveries(done).await? {
                    return Ok(None);
                }
                if done {
                    let first = self.response.notifications.first().map(|n| n.id);
                    return Ok(Some(Followed {
                        notification: self.progress.failed.or(first),
                        view,
                    }));
                }
            }
            if !self.waiting.pause().await {
                return Ok(None);
            }
        }
    }

    /// Asks about each notification that has not settled and reports new outcomes; `false`
    /// when the time runs out first. Once the operation is `done`, its outcome is what
    /// matters: a failure here then only means fewer progress lines.
    async fn deliveries(&mut self, done: bool) -> Result<bool, Error> {
        let id = self.response.operation_id;
        for sent in self.progress.unsettled(&self.response.notifications) {
            self.waiting.show(self.progress.summary(id, self.last));
            match self.waiting.within(self.client.notification(sent.id)).await {
                Some(Ok(notification)) => {
                    for line in self.progress.update(&notification) {
                        self.say(line);
                    }
                }
                // Not in the read model yet; the next round asks again.
                Some(Err(Error::NoNotification(_))) => {}
                Some(Err(_)) | None if done => break,
                Some(Err(error)) => return Err(error),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// One line on stderr, unless quiet.
    fn say(&self, line: String) {
        if !self.quiet {
            self.waiting.tell(line);
        }
    }
}

/// Whether a send in `status` may have deliveries to report: it was dispatched.
fn has_deliveries(status: OperationStatus) -> bool {
    !matches!(
        status,
        OperationStatus::Accepted | OperationStatus::Scheduled | OperationStatus::Cancelled
    )
}

/// What has been reported so far.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Deliveries whose outcome was printed.
    reported: HashSet<Uuid>,
    /// Notifications in a final state, not worth asking about again.
    settled: HashSet<Uuid>,
    /// Deliveries seen, and how many of them have their outcome.
    seen: HashSet<Uuid>,
    /// What is still pending, by delivery: the recipient and the channel.
    pending: BTreeMap<Uuid, (String, Channel)>,
    /// The first notification seen with a failed delivery.
    failed: Option<Uuid>,
    /// The width of the recipient column: the longest recipient's name.
    width: usize,
}

impl Progress {
    /// Nothing reported yet, for a send to `notifications`.
    pub fn new(notifications: &[SentNotification]) -> Self {
        Self {
            width: notifications
                .iter()
                .map(|n| n.recipient.as_str().chars().count())
                .max()
                .unwrap_or(0),
            ..Self::default()
        }
    }

    /// The notifications still worth asking about.
    pub fn unsettled<'a>(
        &self,
        notifications: &'a [SentNotification],
    ) -> Vec<&'a SentNotification> {
        notifications
            .iter()
            .filter(|n| !self.settled.contains(&n.id))
            .collect()
    }

    /// Takes in the latest view of one notification and returns a line for each delivery
    /// outcome not reported before, in channel order.
    pub fn update(&mut self, view: &NotificationView) -> Vec<String> {
        if matches!(
            view.status,
            NotificationStatus::Delivered
                | NotificationStatus::Failed
                | NotificationStatus::Cancelled
        ) && view.deliveries.iter().all(settled)
        {
            self.settled.insert(view.id);
        }
        let mut lines = Vec::new();
        for delivery in sorted(&view.deliveries) {
            self.seen.insert(delivery.id);
            if !settled(delivery) {
                let what = (view.recipient.to_string(), delivery.channel);
                self.pending.insert(delivery.id, what);
                continue;
            }
            self.pending.remove(&delivery.id);
            if !self.reported.insert(delivery.id) {
                continue;
            }
            if delivery.status == DeliveryStatus::Failed && self.failed.is_none() {
                self.failed = Some(view.id);
            }
            lines.push(outcome_line(view.recipient.as_str(), self.width, delivery));
        }
        lines
    }

    /// What is still pending when the time runs out, if anything is: `notify: still pending:
    /// alice desktop, bob webhook`, and why a desktop delivery may take long.
    pub fn pending_note(&self) -> Option<String> {
        if self.pending.is_empty() {
            return None;
        }
        let mut pending: Vec<&(String, Channel)> = self.pending.values().collect();
        pending.sort_by_key(|(recipient, channel)| (recipient, rank(*channel)));
        let what: Vec<String> = pending
            .iter()
            .map(|(recipient, channel)| format!("{recipient} {}", name(channel)))
            .collect();
        let desktop = self.pending.values().any(|(_, c)| *c == Channel::Desktop);
        Some(format!(
            "notify: still pending: {}{}",
            what.join(", "),
            if desktop {
                " (a desktop delivery succeeds when notifyd on the recipient's machine shows it)"
            } else {
                ""
            }
        ))
    }

    /// The spinner's message: what it waits for and, once deliveries are known, how many have
    /// their outcome.
    pub fn summary(&self, id: Uuid, status: Option<OperationStatus>) -> String {
        let waiting = waiting_for(id, status);
        match self.seen.len() {
            0 => waiting,
            seen => format!(
                "{waiting} ({} of {seen} channels done)",
                self.reported.len()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::list::tests::view;
    use crate::deliveries::tests::delivery;
    use chrono::Utc;
    use notify_shared::UserId;
    use notify_shared::api::Channel;

    fn sent(id: Uuid, recipient: &str) -> SentNotification {
        SentNotification {
            id,
            recipient: UserId::parse(recipient).expect("valid"),
        }
    }

    #[test]
    fn each_outcome_is_reported_once_as_it_becomes_known() {
        let alice = Uuid::now_v7();
        let notifications = [sent(alice, "alice"), sent(Uuid::now_v7(), "bob")];
        let mut progress = Progress::new(&notifications);
        let email = delivery(Channel::Email, "a@x", DeliveryStatus::Pending, 1, None);
        let webhook = delivery(
            Channel::Webhook,
            "https://h/x",
            DeliveryStatus::Pending,
            2,
            None,
        );
        let mut notification = NotificationView {
            id: alice,
            recipient: UserId::parse("alice").expect("valid"),
            status: NotificationStatus::Dispatched,
            deliveries: vec![webhook.clone(), email.clone()],
            ..view(Utc::now())
        };
        assert!(progress.update(&notification).is_empty());
        assert!(
            progress
                .summary(Uuid::nil(), None)
                .ends_with("(0 of 2 channels done)")
        );
        assert_eq!(
            progress.pending_note().as_deref(),
            Some("notify: still pending: alice email, alice webhook")
        );

        notification.deliveries[1].status = DeliveryStatus::Succeeded;
        notification.deliveries[1].detail = Some("250 2.0.0 Ok".into());
        assert_eq!(
            progress.update(&notification),
            ["alice  email    succeeded  250 2.0.0 Ok"]
        );
        assert!(progress.update(&notification).is_empty(), "said once");
        assert_eq!(progress.unsettled(&notifications).len(), 2);

        notification.deliveries[0].status = DeliveryStatus::Failed;
        notification.deliveries[0].attempts = 4;
        notification.deliveries[0].detail = Some("HTTP 500".into());
        notification.status = NotificationStatus::Failed;
        assert_eq!(
            progress.update(&notification),
            ["alice  webhook  failed     HTTP 500 (attempt 4)"]
        );
        assert_eq!(progress.failed, Some(alice));
        let left: Vec<&str> = progress
            .unsettled(&notifications)
            .iter()
            .map(|n| n.recipient.as_str())
            .collect();
        assert_eq!(left, ["bob"]);
        assert!(
            progress
                .summary(Uuid::nil(), None)
                .ends_with("(2 of 2 channels done)")
        );
        assert_eq!(progress.pending_note(), None);
    }

    #[test]
    fn a_pending_desktop_delivery_says_what_it_waits_for() {
        let bob = Uuid::now_v7();
        let mut progress = Progress::new(&[sent(bob, "bob")]);
        let notification = NotificationView {
            id: bob,
            status: NotificationStatus::Dispatched,
            deliveries: vec![delivery(
                Channel::Desktop,
                "bob",
                DeliveryStatus::Pending,
                0,
                None,
            )],
            ..view(Utc::now())
        };
        assert!(progress.update(&notification).is_empty());
        assert_eq!(
            progress.pending_note().as_deref(),
            Some(
                "notify: still pending: bob desktop (a desktop delivery succeeds when notifyd on \
                 the recipient's machine shows it)"
            )
        );
    }

    #[test]
    fn only_a_dispatched_send_has_deliveries() {
        use OperationStatus::*;
        for status in [Accepted, Scheduled, Cancelled] {
            assert!(!has_deliveries(status), "{status:?}");
        }
        for status in [Dispatched, Delivered, PartiallyDelivered, Failed] {
            assert!(has_deliveries(status), "{status:?}");
        }
    }
}
