//! What a person at the machine sees: send → popup at a fixed rate, notifyd's memory, and how
//! fast the CLI starts (alone, and asking notifyd for the count).
//!
//! It must not drive notifyd or the desktop server by hand: sends go through the api as a user's
//! would.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use notify_tests::daemon::DaemonHome;
use notify_tests::desktop::Desktop;
use serde_json::json;

use crate::load;
use crate::machine::rss_mib;
use crate::report::{ms, percentile};
use crate::system::{ONE_EACH, Sender, System};

/// What this module measured.
#[derive(Debug)]
pub struct Figures {
    /// Send → popup shown and its receipt recorded, per receipted notification.
    pub popup: Vec<Duration>,
    /// Notifications sent at the fixed rate (all should have a receipt).
    pub sent: usize,
    /// notifyd's resident set after start, MiB.
    pub rss_idle: f64,
    /// ... after `notifications` notifications.
    pub rss_after: f64,
    /// How many notifications notifyd had shown then.
    pub notifications: usize,
    /// `notify --version` wall times.
    pub version: Vec<Duration>,
    /// `notify count` (through notifyd) wall times.
    pub count: Vec<Duration>,
}

/// Runs the desktop figures: `per_second` sends a second for `seconds`, then more until
/// notifyd has shown `total`.
pub async fn measure(per_second: u32, seconds: u64, total: usize) -> anyhow::Result<Figures> {
    let system = System::start(ONE_EACH).await?;
    let api = system.fleet.api_urls()[0].clone();
    let token = system.env.add_user("pop", "send,inbox").await;
    notify_tests::api::Api::new(&api, &token)
        .set_preferences(json!({"channels": ["desktop"]}))
        .await;
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let daemon = home.start(&api, &token, &desktop).await;
    let pid = daemon.child.id().unwrap_or_default();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = rss_mib(pid).unwrap_or(f64::NAN);

    let version = timed(200, || {
        let mut command = std::process::Command::new(notify_tests::binary("notify"));
        command.arg("--version");
        command
    })?;
    let count = timed(200, || {
        let mut command = std::process::Command::new(notify_tests::binary("notify"));
        command
            .env("NOTIFYD_SOCKET", &home.socket)
            .env("NOTIFY_SERVER", &api)
            .env("NOTIFY_TOKEN", &token)
            .env("NOTIFY_CONFIG", "/nonexistent/notify.toml")
            .arg("count");
        command
    })?;

    let sender = Sender::new(vec![api], vec![("pop".into(), token)], "desktop");
    let sent = load::open(sender.clone(), per_second, Duration::from_secs(seconds), 0)
        .await?
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let receipts = wait_receipts(&system, sent.len()).await?;
    if receipts.len() < sent.len() {
        let log = daemon.log();
        eprintln!(
            "  only {} of {} receipted; the end of notifyd's log:",
            receipts.len(),
            sent.len()
        );
        for line in &log[log.len().saturating_sub(30)..] {
            eprintln!("    {line}");
        }
    }
    let by_id: HashMap<uuid::Uuid, chrono::DateTime<chrono::Utc>> =
        sent.iter().map(|s| (s.id, s.at)).collect();
    let popup = receipts
        .iter()
        .filter_map(|(id, at)| Some((*at - *by_id.get(id)?).to_std().unwrap_or_default()))
        .collect();
    print_stages(&system, &by_id).await?;

    let more = total.saturating_sub(sent.len());
    load::closed(sender, more, 16).await?;
    let shown = wait_receipts(&system, total).await?.len();
    let rss_after = rss_mib(pid).unwrap_or(f64::NAN);
    drop(daemon);
    Ok(Figures {
        sent: sent.len(),
        popup,
        rss_idle,
        rss_after,
        notifications: shown,
        version,
        count,
    })
}

/// Waits until `count` desktop receipts are recorded, or two minutes without a new one;
/// returns (notification, recorded at) of those recorded.
async fn wait_receipts(
    system: &System,
    count: usize,
) -> anyhow::Result<Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)>> {
    let mut seen = 0;
    let mut deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let receipts: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT aggregate_id, recorded_at FROM events \
             WHERE kind = 'delivery.succeeded' AND document->'data'->>'channel' = 'desktop'",
        )
        .fetch_all(&system.env.write)
        .await?;
        if receipts.len() >= count || Instant::now() >= deadline {
            return Ok(receipts);
        }
        if receipts.len() > seen {
            seen = receipts.len();
            deadline = Instant::now() + Duration::from_secs(120);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints on stderr where the time between send and receipt went, p50 / p99 of each stage,
/// from the write-DB times of the events (each the start of the transaction that appended
/// it): the api's append, the dispatcher's `delivery.requested`, the receipt's
/// `delivery.succeeded` (notifyd's popup and its receipt's HTTP round trip).
async fn print_stages(
    system: &System,
    sent: &HashMap<uuid::Uuid, chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    type At = Option<chrono::DateTime<chrono::Utc>>;
    type Times = (uuid::Uuid, At, At, At);
    let times: Vec<Times> = sqlx::query_as(
        "SELECT aggregate_id, \
                min(recorded_at) FILTER (WHERE kind = 'notification.requested'), \
                min(recorded_at) FILTER (WHERE kind = 'delivery.requested'), \
                min(recorded_at) FILTER (WHERE kind = 'delivery.succeeded') \
         FROM events \
         WHERE kind IN ('notification.requested', 'delivery.requested', 'delivery.succeeded') \
         GROUP BY aggregate_id \
         HAVING count(*) FILTER (WHERE kind = 'delivery.succeeded') > 0",
    )
    .fetch_all(&system.env.write)
    .await?;
    let span = |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| {
        (to - from).to_std().unwrap_or_default()
    };
    let mut stages: [(&str, Vec<Duration>); 3] = [
        ("send → appended", Vec::new()),
        ("→ delivery requested", Vec::new()),
        ("→ receipt recorded", Vec::new()),
    ];
    for (id, requested, delivery, succeeded) in times {
        let (Some(at), Some(requested), Some(delivery), Some(succeeded)) =
            (sent.get(&id), requested, delivery, succeeded)
        else {
            continue;
        };
        stages[0].1.push(span(*at, requested));
        stages[1].1.push(span(requested, delivery));
        stages[2].1.push(span(delivery, succeeded));
    }
    let line: Vec<String> = stages
        .iter_mut()
        .map(|(name, samples)| {
            format!(
                "{name} {} / {}",
                ms(percentile(samples, 50.0)),
                ms(percentile(samples, 99.0))
            )
        })
        .collect();
    eprintln!("  stages p50 / p99: {}", line.join(", "));
    Ok(())
}

/// Runs the command `runs` times; each run's wall time.
fn timed(
    runs: usize,
    command: impl Fn() -> std::process::Command,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut command = command();
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let started = Instant::now();
        let status = command.status()?;
        times.push(started.elapsed());
        anyhow::ensure!(status.success(), "{command:?} failed");
    }
    Ok(times)
}
