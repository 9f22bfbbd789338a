//! A real browser for the web inbox's tests: Debian's Chromium, headless, driven through
//! Playwright's library by `tests/web/driver.cjs` (both installed by `scripts/services`).

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Where `scripts/services` installs playwright-core.
pub fn playwright() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    cache.join("notify/playwright/node_modules/playwright-core")
}

/// A running browser, closed when dropped.
#[derive(Debug)]
pub struct Browser {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Browser {
    /// Starts Chromium.
    pub async fn start() -> Self {
        let module = playwright();
        assert!(
            module.exists(),
            "{} is missing: scripts/services installs it",
            module.display()
        );
        let mut child = Command::new("node")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/web/driver.cjs"))
            .env("NOTIFY_PLAYWRIGHT", &module)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start node (scripts/services installs it)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut browser = Self {
            _child: child,
            stdin,
            stdout,
        };
        let ready = browser.answer().await;
        assert_eq!(ready, Ok(json!("ready")), "Chromium started");
        browser
    }

    async fn answer(&mut self) -> Result<Value, String> {
        let line = self
            .stdout
            .next_line()
            .await
            .expect("read the driver")
            .expect("the browser driver exited");
        let mut answer: Value = serde_json::from_str(&line).expect("the driver answers JSON");
        match answer.get("error") {
            Some(error) => Err(error.as_str().unwrap_or_default().to_owned()),
            None => Ok(answer["ok"].take()),
        }
    }

    /// Runs one driver command (`tests/web/driver.cjs` lists them).
    pub async fn try_run(&mut self, command: Value) -> Result<Value, String> {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to the driver");
        self.answer().await
    }

    /// Runs one driver command; panics when it fails.
    pub async fn run(&mut self, command: Value) -> Value {
        let described = command.to_string();
        self.try_run(command)
            .await
            .unwrap_or_else(|error| panic!("{described}: {error}"))
    }

    /// Opens `url` in a new tab named `name`, with storage of its own.
    pub async fn open(&mut self, name: &str, url: &str) {
        self.run(json!({"op": "open", "name": name, "url": url}))
            .await;
    }

    /// Evaluates the function body `expression` (with `arg`) in `name`'s page.
    pub async fn eval(&mut self, name: &str, expression: &str, arg: Value) -> Value {
        self.run(json!({"op": "eval", "name": name, "expression": expression, "arg": arg}))
            .await
    }

    /// Waits up to `timeout_ms` until the function body `expression` returns something truthy
    /// in `name`'s page; that value, or the driver's error.
    pub async fn wait(
        &mut self,
        name: &str,
        expression: &str,
        arg: Value,
        timeout_ms: u64,
    ) -> Result<Value, String> {
        self.try_run(json!({
            "op": "wait", "name": name, "expression": expression, "arg": arg, "timeout": timeout_ms
        }))
        .await
    }

    /// The console errors, page errors and CSP violations `name`'s page had.
    pub async fn problems(&mut self, name: &str) -> Vec<String> {
        let problems = self.run(json!({"op": "problems", "name": name})).await;
        serde_json::from_value(problems).expect("a list")
    }
}
