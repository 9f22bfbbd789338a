//! What people see: the human output of the main commands against a real server, and their
//! errors, as reviewed snapshots (ids, times and the server's port redacted); and colour only
//! on a terminal, never with NO_COLOR.

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{missing_config, notify, run, stderr, stdout};
use serde_json::json;

/// Runs `notify ARGS` and returns what it printed (stdout, then stderr after a `--- stderr`
/// line when there is any) and its exit code, for a snapshot.
async fn transcript(server: &str, token: &str, args: &[&str]) -> String {
    let mut command = notify(server, token);
    // Whatever goes wrong, a user never sees a backtrace.
    command.env("RUST_BACKTRACE", "1");
    let output = run(command, args).await;
    let words: Vec<String> = args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    let mut text = format!("$ notify {}\n{}", words.join(" "), stdout(&output));
    if !output.stderr.is_empty() {
        text.push_str(&format!("--- stderr\n{}", stderr(&output)));
    }
    text.push_str(&format!(
        "--- exit {}\n",
        output.status.code().unwrap_or(-1)
    ));
    text
}

/// Snapshots `text` with ids, timestamps, ages and the server's port made stable.
macro_rules! assert_redacted_snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[id]"),
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]"),
            (r"just now|\d+[smhd] ago", "[age]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        ]}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[tokio::test]
async fn human_output_reads_as_reviewed() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("sam", "send,inbox").await;
    let sam = Api::new(server.url(), &token);
    let url = server.url();

    let mut text = transcript(
        url,
        &token,
        &[
            "send",
            "--title",
            "Deploy",
            "--tag",
            "ci",
            "--thread",
            "deploy-42",
            "--priority",
            "high",
            "api 1.4 is live",
        ],
    )
    .await;
    let read = sam.send(&["sam"], "backup done", json!({})).await;
    sam.wait_for("/v1/inbox/count", "projected", |c| c["unread"] == 2)
        .await;
    let (status, _) = sam
        .post(&format!("/v1/notifications/{}/read", read[0]), None)
        .await;
    assert!(status.is_success(), "{status}");
    sam.wait_for("/v1/inbox/count", "read projected", |c| c["unread"] == 1)
        .await;

    let list = run(notify(url, &token), &["--json", "list"]).await;
    let page: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    // Newest first: the read "backup done", then the unread "Deploy".
    let backup = page["items"][0]["id"].as_str().expect("id").to_owned();
    let deploy = page["items"][1]["id"].as_str().expect("id").to_owned();
    let operation = page["items"][1]["operation_id"]
        .as_str()
        .expect("op")
        .to_owned();

    for args in [
        vec!["list"],
        vec!["list", "--unread"],
        vec!["count"],
        vec!["show", &deploy],
        vec!["show", &backup, "--events"],
        vec!["sent"],
        vec!["status", &operation],
        vec!["config", "show"],
        vec!["list", "--search", "nothing like this"],
        vec!["show", "01234567-89ab-7def-8123-456789abcdef"],
        vec!["send", "--priority", "loud", "hi"],
        vec!["send", "--colour", "red", "hi"],
        vec!["send", "--in", "1x", "hi"],
    ] {
        text.push_str(&transcript(url, &token, &args).await);
    }
    assert_redacted_snapshot!("human_output", text);
}

/// Runs `notify ARGS` on a pseudo-terminal (util-linux `script`), with `NO_COLOR` when asked,
/// and returns everything it wrote there. The server URL is not http, so commands fail at once.
async fn on_a_terminal(args: &str, no_color: bool) -> String {
    let mut script = tokio::process::Command::new("script");
    script
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("TERM", "xterm")
        .env("NOTIFY_CONFIG", missing_config())
        .env("NOTIFY_SERVER", "ftp://not-http.invalid")
        .env("NOTIFY_TOKEN", "token")
        .args([
            "-qec",
            &format!("{} {args}", notify_tests::binary("notify").display()),
            "/dev/null",
        ]);
    if no_color {
        script.env("NO_COLOR", "1");
    }
    let output = script.output().await.expect("script runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn colour_only_on_a_terminal_and_never_with_no_color() {
    const ESC: char = '\u{1b}';
    // An error (the server URL is not http) and the help, as a person sees them.
    let error = on_a_terminal("list", false).await;
    assert!(
        error.contains("notify:") && error.contains(ESC),
        "{error:?}"
    );
    let help = on_a_terminal("send --help", false).await;
    assert!(help.contains("Usage") && help.contains(ESC), "{help:?}");

    let error = on_a_terminal("list", true).await;
    assert!(
        error.contains("notify:") && !error.contains(ESC),
        "{error:?}"
    );
    let help = on_a_terminal("send --help", true).await;
    assert!(help.contains("Usage") && !help.contains(ESC), "{help:?}");

    // Piped: no colour whatever the environment says.
    let piped = run(notify("ftp://not-http.invalid", "token"), &["list"]).await;
    assert_eq!(piped.status.code(), Some(2));
    assert!(!stderr(&piped).contains(ESC) && stderr(&piped).contains("notify:"));
}
