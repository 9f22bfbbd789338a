//! `rebuild-read-model` into a second read DB, compared table by table with the live one.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::TestEnv;
use crate::services::create_read_database;

/// Every table of the read model, with the order its rows are compared in.
const TABLES: [(&str, &str); 10] = [
    ("notifications", "id"),
    ("timeline", "event_id"),
    ("operations", "id"),
    ("operation_notifications", "operation_id, notification_id"),
    ("inboxes", "user_id"),
    ("deliveries", "id"),
    ("preferences", "user_id"),
    ("aggregate_versions", "aggregate_id"),
    ("applied_events", "event_id"),
    ("pending_events", "aggregate_id, version"),
];

/// Waits until the live projector has applied every stored event, rebuilds the read model
/// from the event store into a new database and asserts that every table equals the live
/// one, and that the live one holds `notifications` notifications.
pub async fn assert_rebuild_equals_live(env: &TestEnv, notifications: usize) {
    let live = PgPool::connect(&env.read_url).await.expect("live read DB");
    caught_up(env, &live).await;

    let rebuilt_url = create_read_database(&format!("{}_rebuild", env.name)).await;
    let output = env
        .server_command()
        .env("NOTIFY_SERVER_READ_DB", &rebuilt_url)
        .arg("rebuild-read-model")
        .output()
        .await
        .expect("run rebuild-read-model");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("rebuilt the read model from"),
        "reports what it did: {said}"
    );

    let rebuilt = PgPool::connect(&rebuilt_url)
        .await
        .expect("rebuilt read DB");
    for (table, order) in TABLES {
        let query = format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) - 'search' ORDER BY {order}), '[]') FROM {table} t"
        );
        let a: serde_json::Value = sqlx::query_scalar(&query)
            .fetch_one(&live)
            .await
            .expect("live rows");
        let b: serde_json::Value = sqlx::query_scalar(&query)
            .fetch_one(&rebuilt)
            .await
            .expect("rebuilt rows");
        assert_eq!(a, b, "{table} differs");
        if table == "notifications" {
            assert_eq!(
                a.as_array().map(Vec::len),
                Some(notifications),
                "the comparison saw the data"
            );
        }
    }
    live.close().await;
    rebuilt.close().await;
}

/// Waits until the live read DB has applied as many events as the write DB stores.
async fn caught_up(env: &TestEnv, live: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stored = env.count("events").await;
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM applied_events")
            .fetch_one(live)
            .await
            .expect("count applied events");
        if applied == stored {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the projector applied {applied} of {stored} stored events"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
