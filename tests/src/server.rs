//! Runs the real `notify-server` binary against a [`TestEnv`].

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{TestEnv, binary};

/// A running `notify-server serve`, killed when dropped.
#[derive(Debug)]
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:<port>` when the api role runs.
    pub url: Option<String>,
    /// `http://127.0.0.1:<port>` of the gRPC gateway, when `NOTIFY_SERVER_GRPC_LISTEN` is set.
    pub grpc: Option<String>,
}

impl TestEnv {
    /// `notify-server` configured for this environment, with the api on a free port.
    pub fn server_command(&self) -> Command {
        let mut command = Command::new(binary("notify-server"));
        command
            .env("NOTIFY_SERVER_WRITE_DB", &self.write_url)
            .env("NOTIFY_SERVER_READ_DB", &self.read_url)
            .env("NOTIFY_SERVER_AMQP_URL", &self.amqp_url)
            .env("NOTIFY_SERVER_LISTEN", "127.0.0.1:0")
            .env("NOTIFY_SERVER_RELAY_POLL_MS", "200")
            .env(
                "NOTIFY_SERVER_DEVICES__ACCOUNT_PREFIX",
                format!("{}-", self.name),
            )
            .env("NOTIFY_LOG", "info,notify_server=debug")
            .env_remove("NOTIFY_FAILPOINTS")
            .kill_on_drop(true);
        command
    }

    /// Starts `serve --roles <roles>`; with the api role, waits until it listens.
    pub async fn start_server(&self, roles: &str) -> Server {
        self.start_server_with(roles, &[]).await
    }

    /// Like [`TestEnv::start_server`], with extra environment variables.
    pub async fn start_server_with(&self, roles: &str, env: &[(&str, &str)]) -> Server {
        let mut command = self.server_command();
        command
            .args(["serve", "--roles", roles])
            .envs(env.iter().copied())
            .stdout(Stdio::piped());
        let mut child = command.spawn().expect("start notify-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (mut url, mut grpc) = (None, None);
        if roles.split(',').any(|r| r == "api") {
            let mut lines = BufReader::new(stdout).lines();
            let mut next = async || {
                tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                    .await
                    .expect("notify-server did not start listening within 30 s")
                    .expect("read notify-server stdout")
                    .expect("notify-server exited before listening")
            };
            let line = next().await;
            url = Some(
                line.strip_prefix("listening on ")
                    .expect("listening line")
                    .to_owned(),
            );
            if env
                .iter()
                .any(|(name, _)| *name == "NOTIFY_SERVER_GRPC_LISTEN")
            {
                let line = next().await;
                grpc = Some(line.strip_prefix("gRPC on ").expect("gRPC line").to_owned());
            }
        }
        Server { child, url, grpc }
    }

    /// Creates a user with `notify-server users add` and returns its token.
    pub async fn add_user(&self, name: &str, scopes: &str) -> String {
        self.users(&["add", name, "--scope", scopes]).await
    }

    /// Makes another token for an existing user with `notify-server users token`.
    pub async fn new_token(&self, name: &str, scopes: &str) -> String {
        self.users(&["token", name, "--scope", scopes]).await
    }

    /// Makes the service `name` with `notify-server services add`, and returns the
    /// credentials it printed (`token`, `amqp_url`, `exchange`, `routing_key`).
    pub async fn add_service(&self, name: &str) -> serde_json::Value {
        let printed = self.admin(&["services", "add", name]).await;
        serde_json::from_str(&printed).expect("services add prints JSON")
    }

    /// Runs `notify-server users ARGS` and returns what it printed (a token).
    async fn users(&self, args: &[&str]) -> String {
        let mut all = vec!["users"];
        all.extend_from_slice(args);
        self.admin(&all).await
    }

    /// Runs `notify-server ARGS`, asserts it succeeded, and returns its stdout, trimmed.
    async fn admin(&self, args: &[&str]) -> String {
        let output = self
            .server_command()
            .args(args)
            .output()
            .await
            .expect("run notify-server");
        assert!(
            output.status.success(),
            "users {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("utf-8 token")
            .trim()
            .to_owned()
    }
}

impl Server {
    /// The api URL; panics when the api role does not run.
    pub fn url(&self) -> &str {
        self.url.as_deref().expect("the api role runs")
    }
}
