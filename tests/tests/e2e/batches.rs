//! The server queues take the relay's batches (one message, many events): a bad item of a
//! batch is put back alone and dead-lettered while the others are applied, and a batch whose
//! transaction fails as a whole is split, each event applied once.

use std::time::Duration;

use notify_shared::UserId;
use notify_shared::event::{Envelope, Event, NotificationDispatched};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use serde_json::json;
use uuid::Uuid;

/// The stored documents of `notification`'s events, in order.
async fn documents(env: &TestEnv, notification: Uuid) -> Vec<String> {
    sqlx::query_scalar("SELECT document::text FROM events WHERE aggregate_id = $1 ORDER BY version")
        .bind(notification)
        .fetch_all(&env.write)
        .await
        .expect("documents")
}

/// Waits (up to 20 s) until `queue` of the test's vhost holds `n` messages.
async fn wait_depth(env: &TestEnv, queue: &str, n: u32) {
    for _ in 0..200 {
        if env.queue_depth(queue).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{queue} never held {n} messages");
}

#[tokio::test]
async fn a_bad_item_of_a_batch_is_dead_lettered_and_the_others_are_projected() {
    let env = TestEnv::new().await;
    // No relay: the events stay in the store until the test publishes them.
    let server = env.start_server("api,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let first = alice.send(&[], "first", json!({})).await[0];
    let second = alice.send(&[], "second", json!({})).await[0];

    let mut batch = documents(&env, first).await;
    batch.push(r#"{"not": "an event"}"#.to_owned());
    batch.extend(documents(&env, second).await);
    env.publish_batch("notify.projector", &batch).await;

    let inbox = alice
        .wait_for("/v1/notifications", "both notifications", |inbox| {
            inbox["items"]
                .as_array()
                .is_some_and(|items| items.len() == 2)
        })
        .await;
    assert_eq!(inbox["items"][0]["body"], "second");
    wait_depth(&env, "notify.dead", 1).await;
    assert_eq!(env.queue_depth("notify.projector").await, 0);
}

#[tokio::test]
async fn a_batch_that_fails_as_a_whole_is_split_and_each_event_handled_once() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,dispatcher").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let sent = alice.send(&[], "real", json!({})).await[0];
    let dispatched = documents(&env, sent).await.pop().expect("dispatched");
    // The dispatch of a notification that was never requested: its saga cannot start, which
    // fails the batch's transaction as a whole.
    let orphan = Envelope::new(
        "/test",
        Uuid::now_v7(),
        Uuid::now_v7(),
        UserId::parse("alice").expect("user"),
        2,
        Event::NotificationDispatched(NotificationDispatched {}),
    );
    let orphan = serde_json::to_string(&orphan).expect("json");
    env.publish_batch(
        "notify.dispatcher",
        &[orphan, dispatched.clone(), dispatched],
    )
    .await;

    // Split: the real dispatch starts its saga once (one desktop request), the orphan goes
    // back alone until the delivery limit dead-letters it.
    wait_depth(&env, "notify.dead", 1).await;
    assert_eq!(env.count_events("delivery.requested", Some(sent)).await, 1);
    assert_eq!(env.count("sagas").await, 1);
    assert_eq!(env.queue_depth("notify.dispatcher").await, 0);
}
