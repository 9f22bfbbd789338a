//! `notify send --wait`: follow a send until it settles, reporting each channel's outcome on
//! stderr as soon as it is known.
//!
//! With notifyd, the daemon says when the send resolved and how; meanwhile
//! `GET /v1/notifications/{id}` every half second for each recipient whose notification
//! has not settled tells its deliveries. Without a daemon, the operation is polled like
//! [`crate::wait::poll`] does, and once it is dispatched its notifications too. Each delivery's
//! outcome is printed once. It never prints on stdout, and `--quiet` silences it; what exit
//! code the result means is for the caller to decide.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use notify_shared::api::{Channel, OperationStatus, SendResponse, SentNotification};
use notify_shared::views::{DeliveryStatus, NotificationView, OperationView};
use notify_shared::wire_name::WireName;
use uuid::Uuid;

use crate::cli::Globals;
use crate::client::Client;
use crate::deliveries::{outcome_line, rank, settled, sorted};
use crate::error::Error;
use crate::notifyd::{Outcome, Waiter};
use crate::wait::poll::{Polled, Until, Waiting, polling_notice, waiting_for};
use crate::wait::{last_status, lost_daemon, server_settles, settled_view};

/// How often to ask for deliveries while notifyd waits for the outcome.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Where a followed send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The operation in its final state, or `scheduled`.
    pub view: OperationView,
    /// A notification that had a channel fail, for the hint; else the first one.
    pub notification: Option<Uuid>,
}

/// Follows the send `response` answered for, for `timeout` in all, through `waiter` (its wait
/// registered with notifyd before the send) or else by polling. Stops on a final state or
/// `scheduled`; gives up with [`Error::TimedOut`] (exit 4), saying what is still pending.
pub async fn follow(
    client: &Client,
    response: &SendResponse,
    timeout: Duration,
    waiter: Option<Waiter>,
    globals: &Globals,
) -> Result<Followed, Error> {
    let quiet = globals.quiet;
    let mut follower = Follower {
        client,
        response,
        waiting: Waiting::start(timeout, quiet),
        progress: Progress::new(&response.notifications),
        last: None,
        quiet,
        verbose: globals.verbose,
    };
    let followed = match waiter {
        // A scheduled send resolves only once it goes out; the first poll says when that is.
        Some(_) if response.status == OperationStatus::Scheduled => follower.rounds().await?,
        Some(waiter) => follower.through_daemon(waiter).await?,
        None => {
            polling_notice(quiet);
            follower.rounds().await?
        }
    };
    match followed {
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
    verbose: bool,
}

impl Follower<'_> {
    /// Waits for notifyd's answer, reporting deliveries meanwhile; the outcome (`Some`) or
    /// the time running out (`None`) is the daemon's word. Polls instead if the daemon goes
    /// away.
    async fn through_daemon(&mut self, mut waiter: Waiter) -> Result<Option<Followed>, Error> {
        let id = self.response.operation_id;
        let outcome = {
            let answer = waiter.outcome();
            tokio::pin!(answer);
            let client = self.client;
            let safety = server_settles(client, id);
            tokio::pin!(safety);
            loop {
                self.waiting.show(self.progress.summary(id, self.last));
                // A slow server must not hold up the daemon's answer: that cuts a round short.
                let round = async {
                    tokio::time::sleep(PROGRESS_EVERY).await;
                    self.deliveries(true).await
                };
                tokio::select! {
                    outcome = &mut answer => break outcome,
                    status = &mut safety => break Ok(Outcome::Resolved(status)),
                    progress = round => {
                        progress?;
                    }
                }
            }
        };
        match outcome {
            Ok(Outcome::Resolved(status)) => {
                self.last = Some(status);
                // The outcomes not yet reported: the read model has them by now.
                self.deliveries(true).await?;
                let view = settled_view(self.client, id, status, self.verbose).await;
                Ok(Some(self.followed(view)))
            }
            Ok(Outcome::TimedOut) => {
                self.last = last_status(self.client, id).await;
                Ok(None)
            }
            Err(error) if error.falls_back() => {
                lost_daemon(&error, self.quiet);
                self.rounds().await
            }
            Err(error) => Err(error.into()),
        }
    }

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
                    return Ok(Some(self.followed(view)));
                }
            }
            if !self.waiting.pause().await {
                return Ok(None);
            }
        }
    }

    /// Where the send ended, with the notification to point the hint at: one that had a
    /// channel fail, else the first.
    fn followed(&self, view: OperationView) -> Followed {
        let first = self.response.notifications.first().map(|n| n.id);
        Followed {
            notification: self.progress.failed.or(first),
            view,
        }
    }

    /// Asks about each notification that has not settled and reports new outcomes; `false`
    /// when the time runs out first. When `lenient` (the operation is done, or notifyd will
    /// say how it ends), the outcome comes from elsewhere: a failure here then only means
    /// fewer progress lines.
    async fn deliveries(&mut self, lenient: bool) -> Result<bool, Error> {
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
                Some(Err(_)) | None if lenient => break,
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
        if view.status.is_final() && view.deliveries.iter().all(settled) {
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
            .map(|(recipient, channel)| format!("{recipient} {}", channel.as_str()))
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
    use crate::fixtures::delivery;
    use crate::fixtures::view;
    use chrono::Utc;
    use notify_shared::UserId;
    use notify_shared::api::Channel;
    use notify_shared::views::NotificationStatus;

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
