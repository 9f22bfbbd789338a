//! What every scenario needs: a test environment, an SMTP server, a webhook receiver, the
//! server roles as separate processes, users whose notifications go out by e-mail and webhook,
//! and a checker.

use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::checker::{Checker, Effect, Report};
use notify_tests::fleet::Fleet;
pub use notify_tests::fleet::ONE_EACH;
use notify_tests::smtp::SmtpServer;
use notify_tests::webhook::Receiver;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// How long a scenario may take to settle after its faults are healed.
const SETTLE: Duration = Duration::from_secs(150);

/// A running system under test.
#[derive(Debug)]
pub struct Rig {
    // Declared first so it drops first: the processes stop before their databases go.
    pub fleet: Fleet,
    pub env: TestEnv,
    pub read: PgPool,
    smtp: SmtpServer,
    hooks: Receiver,
    users: Vec<(String, String)>,
}

impl Rig {
    /// Starts the processes of `layout` and three users with e-mail and webhook preferences.
    pub async fn start(layout: &[&str]) -> Self {
        Self::start_with(TestEnv::new().await, layout, &[]).await
    }

    /// Like [`Rig::start`] in `env`, with more server environment.
    pub async fn start_with(env: TestEnv, layout: &[&str], extra: &[(&str, &str)]) -> Self {
        let smtp = SmtpServer::start().await;
        let hooks = Receiver::start(200).await;
        let port = smtp.port.to_string();
        let mut server_env = vec![
            ("NOTIFY_SERVER_SMTP__PORT", port.as_str()),
            ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
            ("NOTIFY_SERVER_DELIVERY__RETRY_BASE_MS", "250"),
            ("NOTIFY_SERVER_DELIVERY__MAX_ATTEMPTS", "9"),
            ("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "200"),
            ("NOTIFY_SERVER_SCHEDULER_POLL_MS", "100"),
            ("NOTIFY_LOG", "warn"),
        ];
        server_env.extend_from_slice(extra);
        let fleet = Fleet::start(&env, layout, &server_env).await;
        let api = fleet.api_urls()[0].clone();
        let mut users = Vec::new();
        for i in 0..3 {
            let name = format!("f{i}");
            let token = env.add_user(&name, "send,inbox").await;
            Api::new(&api, &token)
                .set_preferences(json!({
                    "channels": ["email", "webhook"],
                    "email": format!("{name}@example.com"),
                    "webhook_url": hooks.url,
                }))
                .await;
            users.push((name, token));
        }
        let read = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&env.read_url)
            .await
            .expect("connect to the read DB");
        Self {
            fleet,
            env,
            read,
            smtp,
            hooks,
            users,
        }
    }

    /// A user whose notifications go only to their desktops; returns the token.
    pub async fn desktop_user(&self, name: &str) -> String {
        let token = self.env.add_user(name, "send,inbox").await;
        Api::new(&self.fleet.api_urls()[0], &token)
            .set_preferences(json!({"channels": ["desktop"]}))
            .await;
        token
    }

    /// A checker sending as the rig's users through every api process.
    pub fn checker(&self) -> Checker {
        Checker::new(
            self.fleet.api_urls(),
            self.users.clone(),
            &["email", "webhook"],
        )
    }

    /// What the SMTP server and the webhook receiver got.
    pub fn effects(&self) -> Vec<Effect> {
        let mut effects = Vec::new();
        for mail in self.smtp.received() {
            let notification = mail
                .header("X-Notify-Notification")
                .and_then(|id| id.parse().ok());
            let delivery = mail
                .header("Message-ID")
                .and_then(|id| id.trim_matches(['<', '>']).split('@').next())
                .and_then(|id| id.parse().ok());
            effects.push(Effect {
                channel: "email",
                notification: notification.unwrap_or(Uuid::nil()),
                delivery,
            });
        }
        for hook in self.hooks.received() {
            let body: serde_json::Value = serde_json::from_slice(&hook.body).unwrap_or_default();
            effects.push(Effect {
                channel: "webhook",
                notification: body["notification"]["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .unwrap_or(Uuid::nil()),
                delivery: hook
                    .headers
                    .get("webhook-id")
                    .and_then(|id| id.to_str().ok())
                    .and_then(|id| id.parse().ok()),
            });
        }
        effects
    }

    /// Restarts any role process that exited (a role may give up while a service is down, as
    /// it would under systemd), lets the system settle, and classifies every send.
    pub async fn finish(&mut self, scenario: &str, faults: &str, checker: &Checker) -> Report {
        self.fleet.revive(&self.env).await;
        checker.settle(&self.env.write, &self.read, SETTLE).await;
        let mut report = checker
            .classify(scenario, &self.env.write, &self.read, &self.effects())
            .await;
        report.faults = faults.to_owned();
        report
    }
}
