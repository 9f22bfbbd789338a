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

/// Writes a history straight into the event store (not through the outbox, so no projector
/// sees it): `notifications` sends of one notification each that went the whole way
/// (requested, dispatched, e-mail requested and succeeded, delivered), each send's events next
/// to each other, to users `u0`..`u{users}`, and at the end each user's preferences and a
/// read-all; then vacuumed, as autovacuum leaves an older store. Returns the events written.
pub async fn store_history(write: &PgPool, notifications: usize, users: usize) -> usize {
    let count = |n: usize| i64::try_from(n).expect("a count");
    // One connection: the table of sends is temporary.
    let mut conn = write.acquire().await.expect("a write-DB connection");
    sqlx::query(
        "CREATE TEMPORARY TABLE history AS SELECT i, gen_random_uuid() AS nid, gen_random_uuid() AS op, \
             gen_random_uuid() AS did, 'u' || (i % $2) AS u FROM generate_series(1, $1) AS i",
    )
    .bind(count(notifications))
    .bind(count(users))
    .execute(&mut *conn)
    .await
    .expect("store a history");
    // version, kind, data
    let steps = [
        (
            1,
            "notification.requested",
            "json_build_object('sender', u, 'recipient', u, 'title', NULL, 'body', \
             'stored ' || i, 'priority', 'normal', 'tags', '[]'::json, 'channels', \
             '[\"email\"]'::json, 'thread', NULL, 'deliver_at', NULL)",
        ),
        (2, "notification.dispatched", "'{}'::json"),
        (
            3,
            "delivery.requested",
            "json_build_object('delivery_id', did, 'channel', 'email', 'address', \
             u || '@example.com', 'attempt', 1)",
        ),
        (
            4,
            "delivery.succeeded",
            "json_build_object('delivery_id', did, 'channel', 'email', 'attempt', 1, \
             'detail', '250 2.0.0 queued')",
        ),
        (5, "notification.delivered", "'{}'::json"),
    ];
    let (mut kinds, mut data) = (String::new(), String::new());
    for (version, kind, json) in steps {
        kinds.push_str(&format!(" WHEN {version} THEN '{kind}'"));
        data.push_str(&format!(" WHEN {version} THEN {json}"));
    }
    sqlx::query(&format!(
        "INSERT INTO events (id, aggregate_id, version, kind, user_id, operation_id, document) \
         SELECT e, nid, v, kind, u, op, json_build_object( \
             'specversion', '1.0', 'id', e, 'source', '/notify-server/api', \
             'subject', nid, 'time', now(), 'datacontenttype', 'application/json', \
             'operationid', op, 'userid', u, 'sequence', v, \
             'type', 'notify.' || kind || '.v1', 'data', data) \
         FROM (SELECT gen_random_uuid() AS e, n.*, v, CASE v{kinds} END AS kind, \
                      CASE v{data} END AS data \
               FROM history n CROSS JOIN generate_series(1, 5) AS v ORDER BY i, v) AS n"
    ))
    .execute(&mut *conn)
    .await
    .expect("store a history");
    sqlx::query(
        "INSERT INTO events (id, aggregate_id, version, kind, user_id, operation_id, document) \
         SELECT e, agg, 1, kind, u, op, json_build_object( \
             'specversion', '1.0', 'id', e, 'source', '/notify-server/api', \
             'subject', agg, 'time', now(), 'datacontenttype', 'application/json', \
             'operationid', op, 'userid', u, 'sequence', 1, \
             'type', 'notify.' || kind || '.v1', 'data', data) \
         FROM (SELECT gen_random_uuid() AS e, gen_random_uuid() AS agg, gen_random_uuid() AS op, \
                      'u' || i AS u, kind, \
                      CASE kind WHEN 'inbox.read_all' THEN json_build_object('up_to', now()) \
                      ELSE json_build_object('channels', '[\"email\"]'::json, \
                          'email', 'u' || i || '@example.com', 'webhook_url', NULL, \
                          'webhook_secret_set', false) END AS data \
               FROM generate_series(0, $1 - 1) AS i \
               CROSS JOIN unnest(ARRAY['preferences.updated', 'inbox.read_all']) AS kind \
               ORDER BY i, kind DESC) AS n",
    )
    .bind(count(users))
    .execute(&mut *conn)
    .await
    .expect("store a history");
    sqlx::query("VACUUM ANALYZE events")
        .execute(&mut *conn)
        .await
        .expect("vacuum events");
    5 * notifications + 2 * users
}
