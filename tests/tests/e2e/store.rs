//! The event store: appenders to one aggregate queue on its lock, and the one that waited reads
//! the version committed meanwhile (not the one it would have read before waiting).

use std::time::Duration;

use notify_server::store;
use notify_shared::UserId;
use notify_shared::event::{Envelope, Event, NotificationRead};
use notify_tests::TestEnv;
use uuid::Uuid;

#[tokio::test]
async fn an_appender_that_waited_for_the_lock_reads_the_version_committed_meanwhile() {
    let env = TestEnv::new().await;
    let aggregate = Uuid::now_v7();
    let mut first = env.write.begin().await.expect("begin");
    let version = store::lock_aggregate(&mut first, aggregate)
        .await
        .expect("lock");
    assert_eq!(version, 0, "a new aggregate has no version");
    let read = Envelope::new(
        "/notify-server/test",
        Uuid::now_v7(),
        aggregate,
        UserId::parse("alice").expect("valid"),
        1,
        Event::NotificationRead(NotificationRead {}),
    );
    store::append(&mut first, &[read]).await.expect("append");

    let pool = env.write.clone();
    let second = tokio::spawn(async move {
        let mut tx = pool.begin().await.expect("begin");
        store::lock_aggregate(&mut tx, aggregate)
            .await
            .expect("lock")
    });
    // Commit only once the second appender is queued on the lock.
    let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let mut polls = 0;
    while sqlx::query_scalar::<_, i64>(waiting)
        .fetch_one(&env.write)
        .await
        .expect("pg_locks")
        == 0
    {
        polls += 1;
        assert!(polls < 500, "the second appender never waited for the lock");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.commit().await.expect("commit");
    assert_eq!(
        second.await.expect("second appender"),
        1,
        "the version read after the wait includes the first appender's event"
    );
}
