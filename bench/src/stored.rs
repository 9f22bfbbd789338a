//! Figures over a large stored history, generated with SQL: the inbox query over a million
//! notifications, and `rebuild-read-model` over a million events.
//!
//! It must not reach into the rebuild: it runs `rebuild-read-model` as an operator would and reads
//! what it says.

use std::time::{Duration, Instant};

use crate::system::server_timing;
use notify_tests::TestEnv;
use notify_tests::fleet::Fleet;
use notify_tests::rebuild::store_history;

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

/// Users of the stored history that `rebuild` replays.
const REBUILD_USERS: usize = 1_000;

/// `rebuild-read-model` over about `events` stored events (see
/// [`notify_tests::rebuild::store_history`]). Returns the events per second and the peak memory
/// (MiB) it reports.
pub async fn rebuild(events: usize) -> anyhow::Result<(f64, f64)> {
    let env = TestEnv::new().await;
    let notifications = (events.saturating_sub(2 * REBUILD_USERS) / 5).max(1);
    let events = store_history(&env.write, notifications, REBUILD_USERS).await;
    let output = env
        .server_command()
        .env("NOTIFY_LOG", "warn")
        .arg("rebuild-read-model")
        .output()
        .await?;
    let said = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "rebuild failed: {said}");
    // "rebuilt the read model from N events in X s (Y events/s, peak memory Z MiB), ..."
    let line = said
        .lines()
        .find(|l| l.starts_with("rebuilt the read model from "))
        .ok_or_else(|| anyhow::anyhow!("no summary line in: {said}"))?;
    let number_after = |word: &str| -> anyhow::Result<f64> {
        line.split(word)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.trim_start_matches('(').parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no number after {word:?} in {line:?}"))
    };
    let rebuilt = number_after(" from ")?;
    anyhow::ensure!(
        rebuilt == events as f64,
        "rebuilt from {rebuilt} of {events} events"
    );
    let per_second = number_after(" s (")?;
    let memory = number_after("peak memory ")?;
    Ok((per_second, memory))
}
