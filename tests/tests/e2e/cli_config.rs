//! The CLI's configuration: file permissions, precedence, and `notify config show`.

use std::os::unix::fs::PermissionsExt;

use notify_tests::TestEnv;
use notify_tests::cli::{notify, run, stderr, stdout};

#[tokio::test]
async fn a_config_file_readable_by_others_is_refused_with_the_fix() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let token = env.add_user("judy", "send").await;
    let dir = std::env::temp_dir().join(format!("notify-cfg-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!("server = \"{}\"\ntoken = \"{token}\"\n", server.url()),
    )
    .expect("write config");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let mut command = notify("http://unused.invalid", "unused");
    command
        .env_remove("NOTIFY_SERVER")
        .env_remove("NOTIFY_TOKEN")
        .env("NOTIFY_CONFIG", &path);
    let refused = run(command, &["send", "hi"]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("chmod 600"),
        "says how to fix it: {}",
        stderr(&refused)
    );
    assert_eq!(env.count("events").await, 0);

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut command = notify("http://unused.invalid", "unused");
    command
        .env_remove("NOTIFY_SERVER")
        .env_remove("NOTIFY_TOKEN")
        .env("NOTIFY_CONFIG", &path);
    let sent = run(command, &["send", "hi"]).await;
    assert!(
        sent.status.success(),
        "a private file is used: {}",
        stderr(&sent)
    );
    assert_eq!(env.count("events").await, 2);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn config_show_names_the_user_and_never_prints_the_token() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let token = env.add_user("kim", "send,inbox").await;

    let output = run(notify(server.url(), &token), &["config", "show", "--json"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(shown["user"], "kim", "{shown}");
    assert_eq!(shown["server"], server.url(), "{shown}");
    let human = run(notify(server.url(), &token), &["config", "show"]).await;
    for text in [
        stdout(&output),
        stdout(&human),
        stderr(&output),
        stderr(&human),
    ] {
        assert!(!text.contains(&token), "the token is never printed");
    }
    assert!(stdout(&human).contains("kim"), "{}", stdout(&human));
}

/// `notify` with no server or token in the environment, its config file at `path`.
fn bare_notify(path: &std::path::Path) -> tokio::process::Command {
    let mut command = notify("http://unused.invalid", "unused");
    command
        .env_remove("NOTIFY_SERVER")
        .env_remove("NOTIFY_TOKEN")
        .env("NOTIFY_CONFIG", path)
        .stdin(std::process::Stdio::piped());
    command
}

/// Runs `notify login ARGS` with `token` on stdin.
async fn login(path: &std::path::Path, args: &[&str], token: &str) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = bare_notify(path)
        .arg("login")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn notify login");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(token.as_bytes())
        .await
        .expect("write token");
    drop(stdin);
    child.wait_with_output().await.expect("notify login ends")
}

#[tokio::test]
async fn login_checks_the_token_then_saves_a_private_config() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let token = env.add_user("lena", "send,inbox").await;
    let dir = std::env::temp_dir().join(format!("notify-login-{}", uuid::Uuid::now_v7()));
    let path = dir.join("notify/config.toml");

    let refused = login(&path, &["--server", server.url()], "not-the-token\n").await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("refused this token"),
        "{}",
        stderr(&refused)
    );
    assert!(!path.exists(), "nothing is written for a refused token");

    let unreachable = login(&path, &["--server", "http://127.0.0.1:9"], &token).await;
    assert_eq!(
        unreachable.status.code(),
        Some(3),
        "{}",
        stderr(&unreachable)
    );
    assert!(
        !path.exists(),
        "nothing is written when the server cannot be asked"
    );

    // A stale, readable-by-all file is replaced by a private one.
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&path, "server = \"http://old:1\"\n").expect("write old");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let logged_in = login(&path, &["--server", server.url()], &format!("{token}\n")).await;
    assert!(logged_in.status.success(), "{}", stderr(&logged_in));
    assert_eq!(
        stdout(&logged_in),
        format!(
            "logged in to {} as lena\nsaved in {}\n",
            server.url(),
            path.display()
        )
    );
    let mode = std::fs::metadata(&path)
        .expect("saved")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // The saved file is what the next command uses.
    let shown = run(bare_notify(&path), &["config", "show", "--json"]).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(shown["user"], "lena");
    assert_eq!(shown["server"], server.url());
    assert_eq!(shown["token_source"], "config file");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
