//! The relay: every writer wakes it, late commits are not skipped, and a crash between publish
//! and mark loses nothing.

use std::time::{Duration, Instant};

use notify_shared::UserId;
use notify_shared::event::{Envelope, Event, NotificationRead};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::webhook::Receiver;
use serde_json::json;
use uuid::Uuid;

fn event(user: &str, aggregate: Uuid, sequence: u64) -> Envelope {
    let read = Event::NotificationRead(NotificationRead {});
    Envelope::new(
        "/notify-server/test",
        Uuid::now_v7(),
        aggregate,
        UserId::parse(user).expect("valid"),
        sequence,
        read,
    )
}

async fn append_committed(env: &TestEnv, events: &[Envelope]) {
    let mut tx = env.write.begin().await.expect("begin");
    notify_server::store::append(&mut tx, events)
        .await
        .expect("append");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_row_whose_transaction_commits_late_is_still_published() {
    let env = TestEnv::new().await;
    let _relay = env.start_server("relay").await;
    let mut tap = wait_for_tap(&env).await;

    let early = event("alice", Uuid::now_v7(), 1);
    let late = event("alice", Uuid::now_v7(), 1);
    // `early` takes the lower position but its transaction stays open.
    let mut slow = env.write.begin().await.expect("begin");
    notify_server::store::append(&mut slow, std::slice::from_ref(&early))
        .await
        .expect("append early");
    append_committed(&env, std::slice::from_ref(&late)).await;

    let first = tap.take(1).await;
    assert_eq!(
        first[0].envelope.id, late.id,
        "the committed row goes out first"
    );

    slow.commit().await.expect("commit early");
    let second = tap.exactly(1).await;
    assert_eq!(
        second[0].envelope.id, early.id,
        "the late-committed row is not skipped"
    );
    let positions: Vec<i64> = sqlx::query_scalar("SELECT position FROM events ORDER BY position")
        .fetch_all(&env.write)
        .await
        .expect("positions");
    assert_eq!(positions.len(), 2);
    assert_eq!(env.count("outbox").await, 0);
}

#[tokio::test]
async fn a_relay_killed_between_publish_and_mark_publishes_again_and_loses_nothing() {
    let env = TestEnv::new().await;
    let events: Vec<Envelope> = (1..=3).map(|v| event("bob", Uuid::now_v7(), v)).collect();
    append_committed(&env, &events).await;

    let mut crashing = env
        .start_server_with("relay", &[("NOTIFY_FAILPOINTS", "relay.after_confirm")])
        .await;
    let mut tap = wait_for_tap(&env).await;
    let status = tokio::time::timeout(Duration::from_secs(30), crashing.child.wait())
        .await
        .expect("the relay reached its failpoint")
        .expect("wait");
    assert!(!status.success(), "the relay aborted: {status:?}");
    assert_eq!(env.count("outbox").await, 3, "nothing was marked published");

    let _relay = env.start_server("relay").await;
    let mut received: Vec<Uuid> = tap.take(3).await.iter().map(|t| t.envelope.id).collect();
    // The crashed relay may have published before the tap was bound; the new one publishes all.
    while env.count("outbox").await > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let Ok(more) = tokio::time::timeout(Duration::from_secs(2), tap.take(3)).await {
        received.extend(more.iter().map(|t| t.envelope.id));
    }
    for e in &events {
        assert!(received.contains(&e.id), "event {} was lost", e.id);
    }
    assert!(
        received.iter().all(|id| events.iter().any(|e| e.id == *id)),
        "nothing unexpected"
    );
}

/// How long a step may take when the relay is woken: far below its fallback poll of a minute.
const WOKEN_WITHIN: Duration = Duration::from_secs(10);

/// Every writer wakes the relay after its commit. With the relay's fallback poll at a minute,
/// each step still goes through in seconds: a preferences update (a command's transaction), a
/// send delivered on its webhook (the api's group commit, then the dispatcher's and the webhook
/// worker's batches), a mark-as-read, a scheduled send (the scheduler) and `users delete`.
#[tokio::test]
async fn every_writer_wakes_the_relay_after_its_commit() {
    let env = TestEnv::new().await;
    let hooks = Receiver::start(200).await;
    let server = env
        .start_server_with(
            "api,relay,projector,dispatcher,webhook,scheduler",
            &[
                ("NOTIFY_SERVER_RELAY_POLL_MS", "60000"),
                ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
                ("NOTIFY_SERVER_SCHEDULER_POLL_MS", "50"),
            ],
        )
        .await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);

    let started = Instant::now();
    alice
        .set_preferences(json!({"channels": ["webhook"], "webhook_url": hooks.url}))
        .await;
    outbox_drained(&env, "a preferences update", started).await;

    let started = Instant::now();
    let (operation, ids) = alice.send_operation(&["alice"], "now", json!({})).await;
    alice.wait_operation(&operation, "delivered").await;
    within("a send delivered on its webhook", started);

    let started = Instant::now();
    let path = format!("/v1/notifications/{}", ids[0]);
    alice.post(&format!("{path}/read"), None).await;
    alice
        .wait_for(&path, "marked read", |n| n["read_at"].is_string())
        .await;
    within("a mark-as-read projected", started);

    let deliver_at = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    let (operation, _) = alice
        .send_operation(
            &["alice"],
            "soon",
            json!({"deliver_at": deliver_at.to_rfc3339()}),
        )
        .await;
    alice.wait_operation(&operation, "delivered").await;
    let late = chrono::Utc::now() - deliver_at;
    assert!(
        late.to_std().unwrap_or_default() < WOKEN_WITHIN,
        "a scheduled send was delivered {late} after its time: the scheduler did not wake the relay"
    );

    let started = Instant::now();
    let deleted = env
        .server_command()
        .args(["users", "delete", "alice"])
        .output()
        .await
        .expect("users delete");
    assert!(deleted.status.success(), "{deleted:?}");
    outbox_drained(&env, "users delete", started).await;
}

/// Fails unless `step`, begun at `started`, took less than [`WOKEN_WITHIN`].
fn within(step: &str, started: Instant) {
    assert!(
        started.elapsed() < WOKEN_WITHIN,
        "{step} took {:?}: its writer did not wake the relay",
        started.elapsed()
    );
}

/// Waits until the outbox is empty, which must happen within [`WOKEN_WITHIN`] of `started`.
async fn outbox_drained(env: &TestEnv, step: &str, started: Instant) {
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&env.write)
            .await
            .expect("count the outbox");
        if left == 0 {
            return within(step, started);
        }
        assert!(
            started.elapsed() < WOKEN_WITHIN,
            "{step}: {left} outbox rows still there after {:?}; its writer did not wake the relay",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A tap, once a relay has declared the exchange.
async fn wait_for_tap(env: &TestEnv) -> notify_tests::tap::Tap {
    for _ in 0..100 {
        if exchange_exists(env).await {
            return env.tap().await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("notify.events was never declared");
}

async fn exchange_exists(env: &TestEnv) -> bool {
    let Ok(connection) =
        lapin::Connection::connect(&env.amqp_url, lapin::ConnectionProperties::default()).await
    else {
        return false;
    };
    let Ok(channel) = connection.create_channel().await else {
        return false;
    };
    let passive = lapin::options::ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    channel
        .exchange_declare(
            "notify.events".into(),
            lapin::ExchangeKind::Topic,
            passive,
            Default::default(),
        )
        .await
        .is_ok()
}
