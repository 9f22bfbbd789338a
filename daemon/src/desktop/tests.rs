//! Tests of the popup pipeline against a fake popup thread: exactly once, ack after the
//! receipt, retries without a notification server, bursts, closing on read.

use std::sync::atomic::AtomicU64;

use notify_shared::config::Token;
use notify_shared::event::Event;

use super::*;
use crate::api::Api;
use crate::events::DaemonEvent;
use crate::hub::{self, Hub};
use crate::paths::testing::TempDir;
use crate::popup::fake::{self, Asked, FakeServer};
use crate::receipts::{RECEIPTS_FILE, ReceiptQueue};
use crate::seen::{SEEN_FILE, SeenStore};
use crate::testing::{desktop_delivery, requested};

struct Pipeline {
    _tmp: TempDir,
    inputs: mpsc::UnboundedSender<Input>,
    server: FakeServer,
    hub: SharedHub,
    seen: Seen,
    receipts: Receipts,
    bus: Bus,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Pipeline {
    fn start() -> Self {
        let tmp = TempDir::new();
        let (popups, server) = fake::popups();
        let hub = Hub::shared();
        let seen = Seen::new(SeenStore::open(&tmp.path().join(SEEN_FILE)).expect("seen"));
        let receipts =
            Receipts::new(ReceiptQueue::open(&tmp.path().join(RECEIPTS_FILE)).expect("queue"));
        let bus = crate::events::bus();
        let desktop = Desktop {
            hub: Arc::clone(&hub),
            seen: seen.clone(),
            receipts: receipts.clone(),
            popups,
            api: Api::new("http://127.0.0.1:9", Token::new("t".into())).expect("client"),
            bus: bus.clone(),
            device: "laptop".into(),
            live: Arc::new(AtomicU64::new(1)),
            give_up_after: Duration::from_millis(1_500),
        };
        let (inputs, receiver) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(desktop.run(receiver, shutdown.clone()));
        Self {
            _tmp: tmp,
            inputs,
            server,
            hub,
            seen,
            receipts,
            bus,
            shutdown,
            task,
        }
    }

    /// A desktop delivery whose content is cached; returns it and its acker.
    fn deliver(&self, title: &str) -> (Arc<Envelope>, Ack) {
        let subject = Uuid::now_v7();
        hub::lock(&self.hub).apply(&requested(subject, Some(title), "body"), Instant::now());
        let envelope = Arc::new(desktop_delivery(subject));
        let acker = Ack::noted();
        self.send(&envelope, acker.clone());
        (envelope, acker)
    }

    fn send(&self, envelope: &Arc<Envelope>, ack: Ack) {
        let Event::DeliveryRequested(requested) = &envelope.event else {
            panic!("a delivery");
        };
        let job = Job {
            envelope: Arc::clone(envelope),
            delivery: requested.delivery_id,
            ack,
            generation: 1,
        };
        self.inputs.send(Input::Job(job)).expect("running");
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("stopped");
    }
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Waits, up to 10 s, until `done` holds; for positive outcomes, which a loaded machine may
/// reach later than `settle` allows.
async fn until(done: impl Fn() -> bool) -> bool {
    for _ in 0..500 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test]
async fn each_delivery_pops_up_once_then_is_receipted_and_acked() {
    let mut pipeline = Pipeline::start();
    let mut events = pipeline.bus.subscribe();
    let (envelope, acker) = pipeline.deliver("<b>Deploy</b>");
    let Asked::Show(popup) = pipeline.server.next().await else {
        panic!("a popup");
    };
    assert_eq!(
        popup.text.summary, "<b>Deploy</b>",
        "plain text, shown literally"
    );
    assert_eq!(popup.notification, Some(envelope.subject));
    assert_eq!(popup.urgency, notify_rust::Urgency::Critical);
    // Recorded before it is shown; not acked until shown and receipted.
    assert!(pipeline.seen.any(&[envelope.id]));
    assert!(!acker.used());
    pipeline.server.answer(true);
    assert!(until(|| acker.used()).await, "acked after the popup");
    assert!(until(|| pipeline.receipts.len() == 1).await, "one receipt");
    assert_eq!(hub::lock(&pipeline.hub).shown(), 1);
    assert!(matches!(events.try_recv(), Ok(DaemonEvent::Received(e)) if e.id == envelope.id));

    // The same event again (a redelivery): no popup, acked, its receipt not doubled.
    let again = Ack::noted();
    pipeline.send(&envelope, again.clone());
    assert!(pipeline.server.quiet(Duration::from_millis(300)).await);
    assert!(again.used());
    assert_eq!(pipeline.receipts.len(), 1);
    pipeline.stop().await;
}

#[tokio::test]
async fn a_popup_that_cannot_be_shown_is_retried_and_stays_unacked() {
    let mut pipeline = Pipeline::start();
    let (envelope, acker) = pipeline.deliver("Deploy");
    assert!(matches!(pipeline.server.next().await, Asked::Show(_)));
    pipeline.server.answer(false);
    settle().await;
    assert!(
        !pipeline.seen.any(&[envelope.id]),
        "forgotten while not shown"
    );
    assert!(!acker.used());
    // Retried after a backoff of about a second.
    assert!(matches!(pipeline.server.next().await, Asked::Show(_)));
    pipeline.server.answer(true);
    assert!(until(|| acker.used()).await, "acker acked");
    assert!(pipeline.seen.any(&[envelope.id]));
    assert_eq!(pipeline.receipts.len(), 1);
    pipeline.stop().await;
}

#[tokio::test]
async fn a_burst_after_connecting_is_one_summary() {
    let mut pipeline = Pipeline::start();
    pipeline.inputs.send(Input::Connected(1)).expect("running");
    let ackers: Vec<Ack> = (0..7)
        .map(|i| pipeline.deliver(&format!("title {i}")).1)
        .collect();
    let Asked::Show(popup) = pipeline.server.next().await else {
        panic!("a popup");
    };
    assert_eq!(popup.text.summary, "7 new notifications");
    assert_eq!(popup.text.body, "title 0\ntitle 1\ntitle 2\n…");
    assert_eq!(popup.notification, None);
    pipeline.server.answer(true);
    assert!(until(|| ackers.iter().all(Ack::used)).await, "all acked");
    assert!(
        until(|| pipeline.receipts.len() == 7).await,
        "every delivery is receipted"
    );
    assert_eq!(hub::lock(&pipeline.hub).shown(), 1);
    assert!(pipeline.server.quiet(Duration::from_millis(300)).await);
    pipeline.stop().await;
}

#[tokio::test]
async fn a_few_after_connecting_are_shown_one_by_one() {
    let mut pipeline = Pipeline::start();
    pipeline.inputs.send(Input::Connected(1)).expect("running");
    let (first, _) = pipeline.deliver("one");
    pipeline.send(&first, Ack::noted());
    let _ = pipeline.deliver("two");
    for expected in ["one", "two"] {
        let Asked::Show(popup) = pipeline.server.next().await else {
            panic!("a popup");
        };
        assert_eq!(popup.text.summary, expected);
        pipeline.server.answer(true);
    }
    assert!(
        pipeline.server.quiet(Duration::from_millis(300)).await,
        "the duplicate is skipped"
    );
    assert_eq!(pipeline.receipts.len(), 2);
    pipeline.stop().await;
}

#[tokio::test]
async fn a_read_elsewhere_closes_the_popup() {
    use notify_shared::event::{InboxReadAll, NotificationRead};

    let (popups, mut server) = fake::popups();
    let bus = crate::events::bus();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(reactions::close_on_read(
        popups,
        bus.clone(),
        shutdown.clone(),
    ));
    settle().await;
    let id = Uuid::now_v7();
    let read = crate::testing::envelope(id, Event::NotificationRead(NotificationRead {}));
    let _ = bus.send(DaemonEvent::Received(Arc::new(read)));
    assert!(matches!(server.next().await, Asked::Close(closed) if closed == id));
    let all = crate::testing::envelope(
        id,
        Event::InboxReadAll(InboxReadAll {
            up_to: chrono::Utc::now(),
        }),
    );
    let _ = bus.send(DaemonEvent::Received(Arc::new(all)));
    assert!(matches!(server.next().await, Asked::CloseAll));
    shutdown.cancel();
    task.await.expect("stopped");
}

#[tokio::test]
async fn a_burst_larger_than_one_window_updates_its_summary() {
    let mut pipeline = Pipeline::start();
    pipeline.inputs.send(Input::Connected(1)).expect("running");
    let first: Vec<Ack> = (0..6)
        .map(|i| pipeline.deliver(&format!("t{i}")).1)
        .collect();
    let Asked::Show(popup) = pipeline.server.next().await else {
        panic!("a popup");
    };
    assert_eq!(popup.text.summary, "6 new notifications");
    assert_eq!(popup.replaces, None);
    pipeline.server.answer(true);
    assert!(
        until(|| first.iter().all(Ack::used)).await,
        "the first batch acked"
    );
    // The next batch (what the prefetch held back) arrives in the next window.
    let second: Vec<Ack> = (0..2)
        .map(|i| pipeline.deliver(&format!("u{i}")).1)
        .collect();
    let Asked::Show(popup) = pipeline.server.next().await else {
        panic!("a popup");
    };
    assert_eq!(popup.text.summary, "8 new notifications");
    assert_eq!(popup.text.body, "t0\nt1\nt2\n…");
    assert_eq!(popup.replaces, Some(1), "the summary is updated in place");
    pipeline.server.answer(true);
    assert!(
        until(|| second.iter().all(Ack::used)).await,
        "the second batch acked"
    );
    assert!(
        until(|| pipeline.receipts.len() == 8).await,
        "eight receipts"
    );
    assert_eq!(hub::lock(&pipeline.hub).shown(), 1);
    // A quiet window ends the burst: the next one pops up by itself.
    tokio::time::sleep(burst::WINDOW + Duration::from_millis(100)).await;
    let _ = pipeline.deliver("alone");
    let Asked::Show(popup) = pipeline.server.next().await else {
        panic!("a popup");
    };
    assert_eq!(popup.text.summary, "alone");
    assert_eq!(popup.replaces, None);
    pipeline.server.answer(true);
    pipeline.stop().await;
}

#[tokio::test]
async fn a_live_flood_goes_into_one_summary_shown_at_once_then_updated_in_place() {
    let mut pipeline = Pipeline::start();
    for i in 0..burst::THRESHOLD {
        let _ = pipeline.deliver(&format!("one {i}"));
        let Asked::Show(popup) = pipeline.server.next().await else {
            panic!("a popup");
        };
        assert_eq!(popup.text.summary, format!("one {i}"));
        pipeline.server.answer(true);
    }
    // Five popups in a moment make a flood: the next starts a summary, without waiting.
    let _ = pipeline.deliver("flood 0");
    let Asked::Show(popup) = pipeline.server.next().await else {
        panic!("a popup");
    };
    assert_eq!(popup.text.summary, "1 new notification");
    assert_eq!(popup.text.body, "flood 0");
    assert_eq!(popup.replaces, None);
    // Two more while it is being shown: they update it, in place.
    let _ = pipeline.deliver("flood 1");
    let _ = pipeline.deliver("flood 2");
    pipeline.server.answer(true);
    let mut updates = 0;
    loop {
        let Asked::Show(popup) = pipeline.server.next().await else {
            panic!("a popup");
        };
        updates += 1;
        assert_eq!(popup.replaces, Some(1), "the summary is updated in place");
        pipeline.server.answer(true);
        if popup.text.summary == "3 new notifications" {
            assert_eq!(popup.text.body, "flood 0\nflood 1\nflood 2");
            break;
        }
        assert!(updates < 2, "at most one update each: {popup:?}");
    }
    assert!(
        until(|| pipeline.receipts.len() == burst::THRESHOLD + 3).await,
        "every delivery is receipted"
    );
    assert_eq!(
        hub::lock(&pipeline.hub).shown(),
        6,
        "five popups and one summary"
    );
    pipeline.stop().await;
}

#[tokio::test]
async fn without_a_notification_server_deliveries_are_acked_after_a_while() {
    let mut pipeline = Pipeline::start();
    let (envelope, acker) = pipeline.deliver("nobody shows this");
    let mut attempts = 0;
    // Retried for the grace period, then given up on.
    while !acker.used() {
        match tokio::time::timeout(Duration::from_secs(3), pipeline.server.next()).await {
            Ok(Asked::Show(_)) => {
                attempts += 1;
                pipeline.server.answer(false);
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => break,
        }
        settle().await;
    }
    assert!(attempts >= 2, "retried first ({attempts} attempts)");
    assert!(acker.used(), "acked once given up");
    assert!(!pipeline.seen.any(&[envelope.id]), "not recorded as shown");
    assert_eq!(
        pipeline.receipts.len(),
        0,
        "no receipt for a popup never shown"
    );
    // While the outage lasts, the next delivery is tried once and acked.
    let (_, next) = pipeline.deliver("nor this");
    assert!(matches!(pipeline.server.next().await, Asked::Show(_)));
    pipeline.server.answer(false);
    assert!(until(|| next.used()).await, "next acked");
    // Once a server answers again, popups are back.
    let (_, back) = pipeline.deliver("shown");
    assert!(matches!(pipeline.server.next().await, Asked::Show(_)));
    pipeline.server.answer(true);
    assert!(until(|| back.used()).await, "back acked");
    assert!(until(|| pipeline.receipts.len() == 1).await, "one receipt");
    pipeline.stop().await;
}
