//! The inbox from the terminal, against the real server: list, show, read --wait, count,
//! status and sent.

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{notify, run, stderr, stdout};
use serde_json::{Value, json};

#[tokio::test]
async fn read_wait_then_list_never_shows_the_notification_unread() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);
    let sent = alice
        .send(&["alice"], "first", json!({"title": "One"}))
        .await;
    alice
        .send(&["alice"], "second", json!({"title": "Two"}))
        .await;
    alice
        .wait_for("/v1/inbox/count", "2 unread", |c| c["unread"] == 2)
        .await;

    let listed = run(notify(server.url(), &token), &["list"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let table = stdout(&listed);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "one line per notification: {table}");
    assert!(
        lines[0].starts_with('●') && lines[0].contains("Two") && lines[0].contains("alice"),
        "newest first, unread: {table}"
    );
    assert!(
        lines[1].contains(&sent[0].to_string()) && lines[1].contains("One"),
        "{table}"
    );

    let id = sent[0].to_string();
    let read = run(notify(server.url(), &token), &["read", &id, "--wait"]).await;
    assert!(read.status.success(), "{}", stderr(&read));
    let operation = stdout(&read).trim().to_owned();
    assert!(
        uuid::Uuid::try_parse(&operation).is_ok(),
        "prints the operation id: {operation}"
    );
    // No polling here: --wait returned only once the read model had it.
    let unread = run(
        notify(server.url(), &token),
        &["--json", "list", "--unread"],
    )
    .await;
    let page: Value = serde_json::from_str(&stdout(&unread)).expect("--json page");
    let ids: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    assert!(!ids.contains(&id.as_str()) && ids.len() == 1, "{ids:?}");
    let count = run(notify(server.url(), &token), &["count"]).await;
    assert_eq!(stdout(&count), "1\n");

    let status = run(
        notify(server.url(), &token),
        &["--json", "status", &operation],
    )
    .await;
    let status: Value = serde_json::from_str(&stdout(&status)).expect("--json status");
    assert_eq!(
        (status["status"].as_str(), status["kind"].as_str()),
        (Some("applied"), Some("read"))
    );

    let all = run(notify(server.url(), &token), &["read", "--all", "--wait"]).await;
    assert!(all.status.success(), "{}", stderr(&all));
    assert_eq!(
        stdout(&run(notify(server.url(), &token), &["count"]).await),
        "0\n"
    );
    let empty = run(notify(server.url(), &token), &["list", "--unread"]).await;
    assert!(stdout(&empty).is_empty(), "nothing on stdout");
    assert!(
        stderr(&empty).contains("no notifications"),
        "{}",
        stderr(&empty)
    );
}

#[tokio::test]
async fn show_events_tells_the_history_and_errors_name_the_id() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("bob", "send,inbox").await;
    let bob = Api::new(server.url(), &token);
    let sent = bob
        .send(
            &["bob"],
            "disk /var is 93% full",
            json!({"title": "Disk", "tags": ["ops"]}),
        )
        .await;
    bob.wait_for("/v1/inbox/count", "projected", |c| c["unread"] == 1)
        .await;

    let id = sent[0].to_string();
    let shown = run(notify(server.url(), &token), &["show", &id, "--events"]).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    for expected in [
        "Disk",
        "disk /var is 93% full",
        "ops",
        "notification.requested",
        "notification.dispatched",
        "#2",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let missing = uuid::Uuid::now_v7().to_string();
    let not_found = run(notify(server.url(), &token), &["show", &missing]).await;
    assert_eq!(not_found.status.code(), Some(1), "{}", stderr(&not_found));
    assert!(
        stderr(&not_found).contains(&missing),
        "names the id: {}",
        stderr(&not_found)
    );

    let sent_list = run(notify(server.url(), &token), &["sent"]).await;
    assert!(
        stdout(&sent_list).contains(&id) && stdout(&sent_list).contains("dispatched"),
        "{}",
        stdout(&sent_list)
    );
}

#[tokio::test]
async fn list_and_show_never_print_hidden_characters() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);
    let hidden = alice
        .send(
            &["alice"],
            "zero\u{200b}width\u{2028}next line \u{feff}bom",
            json!({"title": "pay\u{202e}txt.exe\u{200b} \u{2066}now\u{2069}\u{2028}later"}),
        )
        .await;
    alice
        .wait_for("/v1/inbox/count", "1 unread", |c| c["unread"] == 1)
        .await;
    let hidden_char = |c: char| c == '\u{2028}' || (c != '\n' && notify_shared::text::is_hidden(c));

    let listed = run(notify(server.url(), &token), &["list"]).await;
    let table = stdout(&listed);
    assert!(!table.chars().any(hidden_char), "{table:?}");
    assert!(table.contains("paytxt.exe now later"), "{table}");
    let shown = run(
        notify(server.url(), &token),
        &["show", &hidden[0].to_string()],
    )
    .await;
    let text = stdout(&shown);
    assert!(!text.chars().any(hidden_char), "{text:?}");
    assert!(text.contains("zerowidth\nnext line bom"), "{text}");
}
