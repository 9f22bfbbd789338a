//! The fault suite's checker, after Jepsen's: it sends a stream of notifications through the
//! real api while a scenario breaks something, lets the system settle, and then classifies
//! every send by what the write DB, the read model and the channels (SMTP, webhook, popups)
//! hold for it.
//!
//! - **lost**: accepted (202) but missing somewhere: no final event, not `delivered` in the
//!   read model, or no effect on one of its channels;
//! - **duplicated**: a lifecycle event stored twice, a second webhook delivery id or popup,
//!   or more than two e-mails (two is the one window that cannot be closed, a worker killed
//!   between sending and recording; it must be logged in `effect_duplicates`);
//! - **unexpected**: an effect for a notification nobody sent, or whose send was refused;
//! - **recovered**: a send whose answer never came (the client gave up) that was stored and
//!   delivered anyway.
//!
//! Every fourth send is scheduled two seconds ahead. Each send is retried with the same
//! idempotency key, as `notify send` does, while the api answers 502/503/504 or 409 or the
//! connection fails.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use notify_shared::api::SendResponse;
use sqlx::PgPool;
use uuid::Uuid;

/// How long one send is retried before the client gives up on it.
const GIVE_UP_AFTER: Duration = Duration::from_secs(90);

/// What became of one send, as the client saw it.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 202: the notification ids.
    Accepted(Vec<Uuid>),
    /// A final answer other than 202 (a bug for these well-formed sends): its status and body.
    Refused(u16, String),
    /// No final answer before the client gave up.
    Unknown,
}

/// One send of the stream.
#[derive(Debug, Clone)]
pub struct Send {
    /// Its operation id (the idempotency key).
    pub operation: Uuid,
    /// The body, `fault #<n>`, by which popups are matched.
    pub body: String,
    /// The final outcome.
    pub outcome: Outcome,
    /// How many attempts answered 503 before the final one.
    pub unavailable: u32,
}

/// One observed effect on a channel: which notification, and the effect's own id (the e-mail's
/// delivery id, the webhook-id, the popup's body).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Effect {
    /// `email`, `webhook` or `desktop`.
    pub channel: &'static str,
    /// The notification it is for.
    pub notification: Uuid,
    /// The delivery id (e-mail, webhook) that identifies a redelivery of the same attempt.
    pub delivery: Option<Uuid>,
}

/// The classification of one scenario.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// Sends made.
    pub sent: usize,
    /// Sends answered 202.
    pub accepted: usize,
    /// Sends that saw at least one 503 before their final answer.
    pub saw_503: usize,
    /// Sends with a final answer other than 202.
    pub refused: usize,
    /// Sends without a final answer.
    pub unknown: usize,
    /// Accepted notifications missing somewhere.
    pub lost: usize,
    /// Notifications with a doubled event or effect.
    pub duplicated: usize,
    /// E-mails sent twice (allowed, when logged in `effect_duplicates`).
    pub emails_twice: usize,
    /// ... of which not logged.
    pub unlogged: usize,
    /// Webhook requests repeated with the same webhook-id (receivers dedupe them).
    pub webhook_retries: usize,
    /// Effects no accepted or unknown send explains.
    pub unexpected: usize,
    /// Unknown sends that were delivered anyway.
    pub recovered: usize,
    /// What was wrong, for the failure message (the first few).
    pub details: Vec<String>,
    /// The injected faults, in words.
    pub faults: String,
}

impl Report {
    /// The table header of [`Report::row`].
    pub const HEADER: &str = "| scenario | faults | sent | accepted | 503 seen | lost | duplicated | unexpected | e-mail twice (logged) | recovered |\n|---|---|---|---|---|---|---|---|---|---|";

    /// One Markdown table row.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} ({}) | {} |",
            self.scenario,
            self.faults,
            self.sent,
            self.accepted,
            self.saw_503,
            self.lost,
            self.duplicated,
            self.unexpected,
            self.emails_twice,
            self.emails_twice - self.unlogged,
            self.recovered
        )
    }

    /// Prints the row, appends it to `$NOTIFY_FAULT_REPORT` when set (with the header when the
    /// file is new), and panics unless
    /// nothing was lost, doubled or unexpected and every send got an answer.
    pub fn assert_sound(&self) {
        println!("{}\n{}", Self::HEADER, self.row());
        if let Some(path) = std::env::var_os("NOTIFY_FAULT_REPORT") {
            use std::io::Write;
            let new = !std::path::Path::new(&path).exists();
            if let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                if new {
                    let _ = writeln!(file, "{}", Self::HEADER);
                }
                let _ = writeln!(file, "{}", self.row());
            }
        }
        assert!(
            self.lost == 0
                && self.duplicated == 0
                && self.unexpected == 0
                && self.unlogged == 0
                && self.refused == 0
                && self.unknown == 0
                && self.accepted > 0,
            "{}\n{}\n{}",
            Self::HEADER,
            self.row(),
            self.details.join("\n")
        );
    }
}

/// The effects seen for one notification on one channel: how many, and of how many distinct
/// deliveries.
#[derive(Debug, Default, Clone)]
struct Seen {
    count: usize,
    deliveries: HashSet<Option<Uuid>>,
}

/// Sends the stream and remembers every answer.
#[derive(Debug)]
pub struct Checker {
    http: reqwest::Client,
    apis: Vec<String>,
    users: Vec<(String, String)>,
    channels: Vec<&'static str>,
    /// Every send made so far.
    pub sends: Vec<Send>,
}

impl Checker {
    /// A checker sending through `apis` (round robin), each send from one of `users` (name,
    /// token) to themselves, on `channels`.
    pub fn new(apis: Vec<String>, users: Vec<(String, String)>, channels: &[&'static str]) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("http client"),
            apis,
            users,
            channels: channels.to_vec(),
            sends: Vec::new(),
        }
    }

    /// Sends `count` notifications, `per_second` of them a second, each on its own task so an
    /// outage slows none of the others; returns when every one has its final answer.
    pub async fn stream(&mut self, count: usize, per_second: u32) {
        let interval = Duration::from_secs(1) / per_second.max(1);
        let first = self.sends.len();
        let mut tasks = Vec::with_capacity(count);
        for i in first..first + count {
            let api = self.apis[i % self.apis.len()].clone();
            let (user, token) = self.users[i % self.users.len()].clone();
            let body = format!("fault #{i}");
            let mut request = serde_json::json!({
                "to": [user],
                "body": body,
                "channels": self.channels,
            });
            // Every fourth send is scheduled a moment ahead, so the scheduler is in the path.
            if i % 4 == 3 {
                let at = chrono::Utc::now() + chrono::Duration::seconds(2);
                request["deliver_at"] = serde_json::json!(at);
            }
            let http = self.http.clone();
            tasks.push(tokio::spawn(async move {
                send_one(http, api, token, request, body).await
            }));
            tokio::time::sleep(interval).await;
        }
        for task in tasks {
            self.sends.push(task.await.expect("send task"));
        }
    }

    /// The notification ids of accepted sends.
    pub fn accepted(&self) -> Vec<Uuid> {
        self.sends
            .iter()
            .filter_map(|s| match &s.outcome {
                Outcome::Accepted(ids) => Some(ids.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Waits (up to `timeout`) until every accepted notification is final in the write DB and
    /// in the read model.
    pub async fn settle(&self, write: &PgPool, read: &PgPool, timeout: Duration) {
        let ids = self.accepted();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let final_events: i64 = sqlx::query_scalar(
                "SELECT count(DISTINCT aggregate_id) FROM events \
                 WHERE aggregate_id = ANY($1) \
                 AND kind IN ('notification.delivered', 'notification.failed')",
            )
            .bind(&ids)
            .fetch_one(write)
            .await
            .unwrap_or(0);
            let final_rows: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM notifications \
                 WHERE id = ANY($1) AND status IN ('delivered', 'partially_delivered', 'failed')",
            )
            .bind(&ids)
            .fetch_one(read)
            .await
            .unwrap_or(0);
            if final_events as usize == ids.len() && final_rows as usize == ids.len() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Classifies every send from what the databases hold and the `effects` seen on channels.
    pub async fn classify(
        &self,
        scenario: &str,
        write: &PgPool,
        read: &PgPool,
        effects: &[Effect],
    ) -> Report {
        let mut report = Report {
            scenario: scenario.to_owned(),
            sent: self.sends.len(),
            ..Report::default()
        };
        let accepted: HashSet<Uuid> = self.accepted().into_iter().collect();
        report.accepted = self
            .sends
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Accepted(_)))
            .count();
        report.saw_503 = self.sends.iter().filter(|s| s.unavailable > 0).count();
        let problem = |report: &mut Report, text: String| {
            if report.details.len() < 20 {
                report.details.push(text);
            }
        };
        for send in &self.sends {
            if let Outcome::Refused(status, body) = &send.outcome {
                report.refused += 1;
                let operation = send.operation;
                problem(&mut report, format!("refused {operation}: {status} {body}"));
            }
        }
        let unknown_ops: Vec<Uuid> = self
            .sends
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Unknown))
            .map(|s| s.operation)
            .collect();
        report.unknown = unknown_ops.len();
        let recovered: HashSet<Uuid> = sqlx::query_scalar(
            "SELECT aggregate_id FROM events \
             WHERE operation_id = ANY($1) AND kind = 'notification.requested'",
        )
        .bind(&unknown_ops)
        .fetch_all(write)
        .await
        .expect("recovered notifications")
        .into_iter()
        .collect();
        report.recovered = recovered.len();

        let ids: Vec<Uuid> = accepted.iter().copied().collect();
        let events: Vec<(Uuid, String, i64)> = sqlx::query_as(
            "SELECT aggregate_id, kind, count(*) FROM events WHERE aggregate_id = ANY($1) \
             AND kind IN ('notification.requested', 'notification.dispatched', \
                          'notification.delivered', 'notification.failed') \
             GROUP BY 1, 2",
        )
        .bind(&ids)
        .fetch_all(write)
        .await
        .expect("lifecycle events");
        let mut lifecycle: HashMap<Uuid, HashMap<String, i64>> = HashMap::new();
        for (id, kind, count) in events {
            lifecycle.entry(id).or_default().insert(kind, count);
        }
        let statuses: HashMap<Uuid, String> =
            sqlx::query_as::<_, (Uuid, String)>("SELECT id, status FROM notifications")
                .fetch_all(read)
                .await
                .expect("read model")
                .into_iter()
                .collect();
        let logged: HashSet<Uuid> = sqlx::query_scalar("SELECT delivery_id FROM effect_duplicates")
            .fetch_all(write)
            .await
            .expect("effect_duplicates")
            .into_iter()
            .collect();

        let mut seen: HashMap<(Uuid, &'static str), Seen> = HashMap::new();
        for effect in effects {
            let entry = seen
                .entry((effect.notification, effect.channel))
                .or_default();
            entry.count += 1;
            entry.deliveries.insert(effect.delivery);
        }

        for id in &ids {
            let kinds = lifecycle.get(id).cloned().unwrap_or_default();
            let count = |kind: &str| kinds.get(kind).copied().unwrap_or(0);
            let finals = count("notification.delivered") + count("notification.failed");
            let status = statuses.get(id).map(String::as_str);
            let mut lost = Vec::new();
            let mut doubled = Vec::new();
            for kind in ["notification.requested", "notification.dispatched"] {
                match count(kind) {
                    0 => lost.push(format!("no {kind}")),
                    1 => {}
                    n => doubled.push(format!("{n}× {kind}")),
                }
            }
            match finals {
                0 => lost.push("no final event".to_owned()),
                1 => {}
                n => doubled.push(format!("{n} final events")),
            }
            if status != Some("delivered") {
                lost.push(format!("read model status {status:?}"));
            }
            for channel in &self.channels {
                let Seen { count, deliveries } =
                    seen.get(&(*id, *channel)).cloned().unwrap_or_default();
                match (*channel, count) {
                    // Shown inside a summary popup (a burst) it has no popup of its own; its
                    // receipt still makes it delivered, which is checked above.
                    ("desktop", 0) => {}
                    (_, 0) => lost.push(format!("no {channel} effect")),
                    ("email", 2) => {
                        report.emails_twice += 1;
                        let logged = deliveries.iter().flatten().any(|d| logged.contains(d));
                        if !logged {
                            report.unlogged += 1;
                            doubled.push("e-mail sent twice, not logged".to_owned());
                        }
                    }
                    ("email", n) if n > 2 => doubled.push(format!("{n} e-mails")),
                    ("webhook", n) if deliveries.len() > 1 => {
                        doubled.push(format!(
                            "{} webhook deliveries ({n} requests)",
                            deliveries.len()
                        ));
                    }
                    ("webhook", n) => report.webhook_retries += n - 1,
                    ("desktop", n) if n > 1 => doubled.push(format!("{n} popups")),
                    _ => {}
                }
            }
            if !lost.is_empty() {
                report.lost += 1;
                problem(&mut report, format!("lost {id}: {}", lost.join(", ")));
            }
            if !doubled.is_empty() {
                report.duplicated += 1;
                problem(
                    &mut report,
                    format!("duplicated {id}: {}", doubled.join(", ")),
                );
            }
        }
        let explained = |id: &Uuid| accepted.contains(id) || recovered.contains(id);
        let mut unexpected: HashSet<Uuid> = effects
            .iter()
            .map(|e| e.notification)
            .filter(|id| !explained(id))
            .collect();
        unexpected.extend(statuses.keys().filter(|id| !explained(id)));
        report.unexpected = unexpected.len();
        for id in unexpected.iter().take(5) {
            problem(&mut report, format!("unexpected {id}"));
        }
        report
    }
}

/// Sends one notification, retrying with the same key as the CLI does.
async fn send_one(
    http: reqwest::Client,
    api: String,
    token: String,
    request: serde_json::Value,
    body: String,
) -> Send {
    let operation = Uuid::now_v7();
    let started = Instant::now();
    let mut unavailable = 0;
    let outcome = loop {
        let answer = http
            .post(format!("{api}/v1/notifications"))
            .bearer_auth(&token)
            .header("Idempotency-Key", operation.to_string())
            .json(&request)
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => {
                // A body that was cut is asked for again: the key makes it a replay.
                if let Ok(sent) = response.json::<SendResponse>().await {
                    break Outcome::Accepted(sent.notifications.iter().map(|n| n.id).collect());
                }
            }
            Ok(response) if response.status() == 503 => unavailable += 1,
            Ok(response) if matches!(response.status().as_u16(), 409 | 429 | 502 | 504) => {}
            Ok(response) => {
                let status = response.status().as_u16();
                break Outcome::Refused(status, response.text().await.unwrap_or_default());
            }
            Err(_) => {}
        }
        if started.elapsed() > GIVE_UP_AFTER {
            break Outcome::Unknown;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    Send {
        operation,
        body,
        outcome,
        unavailable,
    }
}
