//! The shared services failing: RabbitMQ killed, the write PostgreSQL crashing, the read
//! PostgreSQL stopped, the broker's disk alarm, duplicated and poison messages on the broker.

use std::time::Duration;

use notify_shared::UserId;
use notify_shared::routing::{DEAD_LETTER_QUEUE, PROJECTOR_QUEUE, routing_key_for_kind};
use notify_tests::api::Api;
use notify_tests::outage::{self, Cluster, Restore};

use crate::rig::{ONE_EACH, Rig};

const PER_SECOND: u32 = 30;

#[tokio::test]
async fn rabbitmq_killed_with_sigkill_and_restarted() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    let mut checker = rig.checker();
    let faults = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        outage::kill_rabbitmq().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        outage::start_rabbitmq().await;
    };
    tokio::join!(checker.stream(400, PER_SECOND), faults);
    let report = rig
        .finish(
            "RabbitMQ killed",
            "SIGKILL mid-stream, restarted 2 s later",
            &checker,
        )
        .await;
    report.assert_sound();
}

#[tokio::test]
async fn write_postgres_crashes_and_restarts() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    let mut checker = rig.checker();
    let api = Api::new(&rig.fleet.api_urls()[0], &checker_token(&rig).await);
    // The api learns the reader's token while the write DB is up.
    assert_eq!(api.get("/v1/inbox/count").await.0, 200);
    let faults = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Cluster::Write.crash_restart().await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        Cluster::Write.crash_restart().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Stopped for a while: queries (read DB only) are still served.
        Cluster::Write.stop().await;
        let (status, problem) = api.get("/v1/notifications").await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        Cluster::Write.start().await;
        (status, problem)
    };
    let ((), (status, problem)) = tokio::join!(checker.stream(400, PER_SECOND), faults);
    assert_eq!(status, 200, "a query while the write DB is down: {problem}");
    let report = rig
        .finish(
            "write PostgreSQL crashed",
            "immediate-mode restart, twice; then stopped for 2 s",
            &checker,
        )
        .await;
    report.assert_sound();
}

#[tokio::test]
async fn read_postgres_stopped_for_a_while() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    let mut checker = rig.checker();
    let api = Api::new(&rig.fleet.api_urls()[0], &checker_token(&rig).await);
    let faults = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Cluster::Read.stop().await;
        // While it is down, queries answer 503 and commands are still accepted.
        let (status, problem) = api.get("/v1/notifications").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        Cluster::Read.start().await;
        (status, problem)
    };
    let ((), (status, problem)) = tokio::join!(checker.stream(400, PER_SECOND), faults);
    assert_eq!(status, 503, "a query while the read DB is down: {problem}");
    let report = rig
        .finish("read PostgreSQL stopped", "stopped for 5 s", &checker)
        .await;
    assert_eq!(report.saw_503, 0, "sends never need the read DB");
    report.assert_sound();
}

#[tokio::test]
async fn broker_disk_alarm_holds_events_until_it_clears() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    let mut checker = rig.checker();
    outage::disk_alarm(true).await;
    checker.stream(100, 50).await;
    // Accepted and stored, not yet relayed: the publishes are blocked.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = rig.env.count("outbox").await;
    outage::disk_alarm(false).await;
    assert!(
        waiting > 0,
        "the outbox holds the events while the alarm is raised"
    );
    let report = rig
        .finish(
            "broker disk alarm",
            &format!("raised during the stream ({waiting} events held)"),
            &checker,
        )
        .await;
    report.assert_sound();
}

#[tokio::test]
async fn duplicate_publishes_and_a_poison_message() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    let mut checker = rig.checker();
    let faults = async {
        tokio::time::sleep(Duration::from_secs(4)).await;
        // Every event stored so far, published once more, as a relay that crashed before
        // deleting its outbox rows would.
        let events: Vec<(String, String, String)> =
            sqlx::query_as("SELECT kind, user_id, document::text FROM events")
                .fetch_all(&rig.env.write)
                .await
                .expect("events");
        let f0 = UserId::parse("f0").expect("user");
        let poison = (
            routing_key_for_kind(&f0, "notification.requested"),
            b"{\"not\": \"an event\"".to_vec(),
        );
        let messages: Vec<(String, Vec<u8>)> = events
            .iter()
            .map(|(kind, user, document)| {
                let user = UserId::parse(user).expect("user id");
                (
                    routing_key_for_kind(&user, kind),
                    document.clone().into_bytes(),
                )
            })
            .chain([poison])
            .collect();
        rig.env.publish_many(&messages).await;
        events.len()
    };
    let ((), duplicated) = tokio::join!(checker.stream(300, PER_SECOND), faults);
    let report = rig
        .finish(
            "duplicate publishes + poison",
            &format!("{duplicated} events published twice, 1 poison message"),
            &checker,
        )
        .await;
    assert!(
        rig.env.queue_depth(DEAD_LETTER_QUEUE).await >= 1,
        "the poison message is dead-lettered"
    );
    assert_eq!(
        rig.env.queue_depth(PROJECTOR_QUEUE).await,
        0,
        "the projector's queue keeps flowing"
    );
    report.assert_sound();
}

/// A token of one of the rig's users, for queries.
async fn checker_token(rig: &Rig) -> String {
    rig.env.add_user("reader", "send,inbox").await
}
