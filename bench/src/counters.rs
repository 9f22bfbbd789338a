//! What the system did, counted by the services themselves: the write database's commits
//! (`pg_stat_database`) and the broker's publishes and deliveries (RabbitMQ's message
//! counters for the test's vhost). Counts hold through the machine's noise where times do not.

use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::services::management;
use serde::Deserialize;

/// The counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Counters {
    /// Transactions committed in the test's write database (read-only ones too).
    pub commits: i64,
    /// Messages published into the test's vhost.
    pub publishes: i64,
    /// Messages the broker delivered to consumers (or handed out by `basic.get`).
    pub deliveries: i64,
}

/// How long both services take to make counts visible: PostgreSQL's backends report their
/// statistics at most once a second and, once idle, after 10 s; RabbitMQ samples its message
/// counters every 5 s.
pub const SETTLE: Duration = Duration::from_secs(11);

#[derive(Debug, Deserialize)]
struct Vhost {
    #[serde(default)]
    message_stats: MessageStats,
}

#[derive(Debug, Default, Deserialize)]
struct MessageStats {
    #[serde(default)]
    publish: i64,
    #[serde(default)]
    deliver_get: i64,
}

impl Counters {
    /// Reads the counters of `env`'s database and vhost now.
    pub async fn read(env: &TestEnv) -> anyhow::Result<Self> {
        let commits: i64 = sqlx::query_scalar(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&env.write)
        .await?;
        let vhost: Vhost = management(reqwest::Method::GET, &format!("/vhosts/{}", env.name))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(Self {
            commits,
            publishes: vhost.message_stats.publish,
            deliveries: vhost.message_stats.deliver_get,
        })
    }

    /// What happened since `earlier`, per one of `count` notifications.
    pub fn per(&self, earlier: &Self, count: usize) -> PerNotification {
        let per = |now: i64, then: i64| (now - then) as f64 / count.max(1) as f64;
        PerNotification {
            commits: per(self.commits, earlier.commits),
            publishes: per(self.publishes, earlier.publishes),
            deliveries: per(self.deliveries, earlier.deliveries),
        }
    }
}

/// Counts per notification.
#[derive(Debug, Clone, Copy)]
pub struct PerNotification {
    pub commits: f64,
    pub publishes: f64,
    pub deliveries: f64,
}
