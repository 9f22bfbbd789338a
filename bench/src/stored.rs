//! Figures over a large stored history, generated with SQL: the inbox query over a million
//! notifications, and `rebuild-read-model` over a million events.

use std::time::{Duration, Instant};

use crate::system::server_timing;
use notify_tests::TestEnv;
use notify_tests::fleet::Fleet;

/// Users the stored history is spread over.
const USERS: usize = 10_000;
/// Users whose inboxes are queried.
const QUERIED: usize = 20;

/// The latencies of the inbox queries.
#[derive(Debug)]
pub struct Latencies {
    /// As the api's `Server-Timing` reports them.
    pub server: Vec<Duration>,
    /// As the client saw them, on loopback.
    pub client: Vec<Duration>,
}

/// `GET /v1/notifications` latencies over `rows` notifications of 10,000 users, a third of
/// them read.
pub async fn inbox(rows: usize, requests: usize) -> anyhow::Result<Latencies> {
    let env = TestEnv::new().await;
    let read = sqlx::PgPool::connect(&env.read_url).await?;
    notify_server::db::READ_MIGRATIONS.run(&read).await?;
    sqlx::query(
        "INSERT INTO notifications (id, operation_id, sender, recipient, title, body, priority, \
             tags, channels, status, requested_at, dispatched_at, read_at) \
         SELECT gen_random_uuid(), gen_random_uuid(), 'u' || (i % $2), 'u' || (i % $2), \
             'title ' || i, 'the body of notification ' || i, 'normal', ARRAY['svc' || (i % 10)], \
             ARRAY['desktop'], 'delivered', now() - i * interval '1 second', \
             now() - i * interval '1 second', CASE WHEN i % 3 = 0 THEN now() END \
         FROM generate_series(1, $1) AS i",
    )
    .bind(i64::try_from(rows)?)
    .bind(i64::try_from(USERS)?)
    .execute(&read)
    .await?;
    sqlx::query("ANALYZE notifications").execute(&read).await?;
    let mut tokens = Vec::new();
    for i in 0..QUERIED {
        tokens.push(env.add_user(&format!("u{i}"), "inbox").await);
    }
    let fleet = Fleet::start(
        &env,
        &["api"],
        &[
            ("NOTIFY_LOG", "warn"),
            ("NOTIFY_SERVER_RATE_LIMIT__PER_SECOND", "0"),
        ],
    )
    .await;
    let url = format!("{}/v1/notifications", fleet.api_urls()[0]);
    let http = reqwest::Client::new();
    let mut latencies = Latencies {
        server: Vec::with_capacity(requests),
        client: Vec::with_capacity(requests),
    };
    for i in 0..requests + 200 {
        let started = Instant::now();
        let response = http
            .get(&url)
            .bearer_auth(&tokens[i % tokens.len()])
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "{}", response.status());
        let server = server_timing(response.headers())?;
        response.bytes().await?;
        // The first 200 warm the caches.
        if i >= 200 {
            latencies.client.push(started.elapsed());
            latencies.server.push(server);
        }
    }
    drop(fleet);
    Ok(latencies)
}

/// `rebuild-read-model` over `events` stored events (half `notification.requested`, half
/// `notification.dispatched`); the events per second it reports.
pub async fn rebuild(events: usize) -> anyhow::Result<f64> {
    let env = TestEnv::new().await;
    let notifications = i64::try_from(events / 2)?;
    sqlx::query(
        "CREATE TABLE bench_n AS SELECT i, gen_random_uuid() AS nid, gen_random_uuid() AS op, \
             'u' || (i % 1000) AS u FROM generate_series(1, $1) AS i",
    )
    .bind(notifications)
    .execute(&env.write)
    .await?;
    for (version, kind, data) in [
        (
            1,
            "notification.requested",
            "json_build_object('sender', u, 'recipient', u, 'title', NULL, 'body', \
             'bench ' || i, 'priority', 'normal', 'tags', '[]'::json, 'channels', '[]'::json, \
             'thread', NULL, 'deliver_at', NULL)",
        ),
        (2, "notification.dispatched", "'{}'::json"),
    ] {
        sqlx::query(&format!(
            "INSERT INTO events (id, aggregate_id, version, kind, user_id, operation_id, document) \
             SELECT e, nid, {version}, '{kind}', u, op, json_build_object( \
                 'specversion', '1.0', 'id', e, 'source', '/notify-server/api', \
                 'subject', nid, 'time', now(), 'datacontenttype', 'application/json', \
                 'operationid', op, 'userid', u, 'sequence', {version}, \
                 'type', 'notify.{kind}.v1', 'data', {data}) \
             FROM (SELECT gen_random_uuid() AS e, * FROM bench_n ORDER BY i) AS n"
        ))
        .execute(&env.write)
        .await?;
    }
    let output = env
        .server_command()
        .env("NOTIFY_LOG", "warn")
        .arg("rebuild-read-model")
        .output()
        .await?;
    let said = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "rebuild failed: {said}");
    // "replayed N events in X s (Y events/s)"
    let line = said
        .lines()
        .find(|l| l.starts_with("replayed "))
        .ok_or_else(|| anyhow::anyhow!("no summary line in: {said}"))?;
    let replayed: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("cannot read {line:?}"))?;
    anyhow::ensure!(replayed == events, "replayed {replayed} of {events} events");
    let per_second: f64 = line
        .rsplit('(')
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("cannot read {line:?}"))?;
    Ok(per_second)
}
