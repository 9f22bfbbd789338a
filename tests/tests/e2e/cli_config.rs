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
