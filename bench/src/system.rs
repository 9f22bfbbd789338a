//! The whole system under load: every server role (one process each, or two of each), users
//! whose notifications go to a local webhook receiver, and an HTTP client that sends as they
//! would.
//!
//! It must not take shortcuts a user could not: every send goes through the HTTP api.

use std::sync::Arc;
use std::time::{Duration, Instant};

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::fleet::Fleet;
pub use notify_tests::fleet::ONE_EACH;
use notify_tests::webhook::Receiver;
use serde_json::json;
use sqlx::PgPool;

/// Users that share the load (each has its own inbox and token).
const USERS: usize = 10;

/// A running system.
#[derive(Debug)]
pub struct System {
    // Declared first so the processes stop before their databases go.
    pub fleet: Fleet,
    pub env: TestEnv,
    pub read: PgPool,
    _hooks: Receiver,
    users: Vec<(String, String)>,
}

impl System {
    /// Starts `layout` (one process per entry) with the rate limit off and logs at `warn`.
    /// The processes share 64 connections to each database, well under PostgreSQL's default
    /// `max_connections` of 100 (each process's default pool of 16 would not be).
    pub async fn start(layout: &[&str]) -> anyhow::Result<Self> {
        let env = TestEnv::new().await;
        let hooks = Receiver::start(200).await;
        let connections = (64 / layout.len()).max(2).to_string();
        let fleet = Fleet::start(
            &env,
            layout,
            &[
                ("NOTIFY_LOG", "warn"),
                ("NOTIFY_SERVER_RATE_LIMIT__PER_SECOND", "0"),
                ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
                ("NOTIFY_SERVER_WRITE_DB_CONNECTIONS", &connections),
                ("NOTIFY_SERVER_READ_DB_CONNECTIONS", &connections),
            ],
        )
        .await;
        let api = fleet.api_urls()[0].clone();
        let mut users = Vec::new();
        for i in 0..USERS {
            let name = format!("b{i}");
            let token = env.add_user(&name, "send,inbox").await;
            Api::new(&api, &token)
                .set_preferences(json!({"channels": ["webhook"], "webhook_url": hooks.url}))
                .await;
            users.push((name, token));
        }
        let read = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&env.read_url)
            .await?;
        Ok(Self {
            fleet,
            env,
            read,
            _hooks: hooks,
            users,
        })
    }

    /// A sender for the `i`-th send: which api, which user.
    pub fn sender(&self) -> Arc<Sender> {
        Sender::new(self.fleet.api_urls(), self.users.clone(), "webhook")
    }

    /// Notifications the read model shows delivered.
    pub async fn delivered(&self) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM notifications WHERE status = 'delivered'")
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Waits until `count` notifications are delivered; the time it took from `since`.
    pub async fn wait_delivered(&self, count: i64, since: Instant) -> anyhow::Result<Duration> {
        let deadline = Instant::now() + Duration::from_secs(600);
        while self.delivered().await? < count {
            anyhow::ensure!(
                Instant::now() < deadline,
                "not all delivered within 10 minutes"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(since.elapsed())
    }
}

/// Sends notifications through the api, round robin over apis and users.
#[derive(Debug)]
pub struct Sender {
    http: reqwest::Client,
    apis: Vec<String>,
    users: Vec<(String, String)>,
    channel: &'static str,
}

/// One accepted send.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// How long the api took to accept it, as the client saw it.
    pub latency: Duration,
    /// The same as the api reports it (`Server-Timing`).
    pub server: Duration,
    /// When it was sent.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The notification.
    pub id: uuid::Uuid,
}

impl Sender {
    /// A sender through `apis` as `users` (name, token), each to themselves on `channel`.
    pub fn new(
        apis: Vec<String>,
        users: Vec<(String, String)>,
        channel: &'static str,
    ) -> Arc<Self> {
        Arc::new(Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .expect("http client"),
            apis,
            users,
            channel,
        })
    }

    /// Sends the `i`-th notification.
    pub async fn send(&self, i: usize) -> anyhow::Result<Sent> {
        let api = &self.apis[i % self.apis.len()];
        let (user, token) = &self.users[i % self.users.len()];
        let at = chrono::Utc::now();
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{api}/v1/notifications"))
            .bearer_auth(token)
            .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
            .json(&json!({"to": [user], "body": format!("bench #{i}"), "channels": [self.channel]}))
            .send()
            .await?;
        let status = response.status();
        anyhow::ensure!(status.as_u16() == 202, "send refused: {status}");
        let server = server_timing(response.headers())?;
        let answer: notify_shared::api::SendResponse = response.json().await?;
        Ok(Sent {
            latency: started.elapsed(),
            server,
            at,
            id: answer.notifications[0].id,
        })
    }
}

/// The server's time from a response's `Server-Timing: app;dur=<ms>`.
pub fn server_timing(headers: &reqwest::header::HeaderMap) -> anyhow::Result<Duration> {
    let value = headers
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let millis: f64 = value
        .strip_prefix("app;dur=")
        .and_then(|ms| ms.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no Server-Timing app;dur in the answer: {value:?}"))?;
    Ok(Duration::from_secs_f64(millis / 1000.0))
}
