//! The relay: late commits are not skipped, and a crash between publish and mark loses nothing.

use std::time::Duration;

use notify_shared::UserId;
use notify_shared::event::{Envelope, Event, NotificationRead};
use notify_tests::TestEnv;
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
            "notify.events",
            lapin::ExchangeKind::Topic,
            passive,
            Default::default(),
        )
        .await
        .is_ok()
}
