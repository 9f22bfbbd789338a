//! Scheduling and `notify run` from the terminal, against the real server.

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{notify, run, stderr, stdout};
use serde_json::Value;

async fn server(env: &TestEnv) -> notify_tests::server::Server {
    env.start_server_with(
        "api,relay,projector,dispatcher,scheduler",
        &[("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100")],
    )
    .await
}

#[tokio::test]
async fn run_notifies_with_the_exit_status_and_returns_it() {
    let env = TestEnv::new().await;
    let server = server(&env).await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);

    let failed = run(notify(server.url(), &token), &["run", "--", "false"]).await;
    assert_eq!(
        failed.status.code(),
        Some(1),
        "the command's exit code: {}",
        stderr(&failed)
    );
    let three = run(
        notify(server.url(), &token),
        &["run", "--", "sh", "-c", "exit 3"],
    )
    .await;
    assert_eq!(three.status.code(), Some(3), "{}", stderr(&three));
    let fine = run(notify(server.url(), &token), &["run", "--", "true"]).await;
    assert_eq!(fine.status.code(), Some(0), "{}", stderr(&fine));

    let page = alice
        .wait_for("/v1/notifications", "three run notifications", |p| {
            p["items"].as_array().is_some_and(|i| i.len() == 3)
        })
        .await;
    let items = page["items"].as_array().expect("items");
    let false_run = items
        .iter()
        .find(|n| n["title"].as_str().is_some_and(|t| t.contains("false")))
        .expect("the false run");
    assert!(
        false_run["title"].as_str().is_some_and(|t| t.contains('1')),
        "{false_run}"
    );
    assert_eq!(
        false_run["priority"], "high",
        "a failed command gets a high priority"
    );
    assert!(
        false_run["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "run")),
        "{false_run}"
    );
    assert!(
        false_run["body"]
            .as_str()
            .is_some_and(|b| b.contains("took")),
        "{false_run}"
    );
    let true_run = items
        .iter()
        .find(|n| n["title"].as_str().is_some_and(|t| t.contains("true")))
        .expect("the true run");
    assert_eq!(true_run["priority"], "normal");
}

#[tokio::test]
async fn a_scheduled_send_waits_and_can_be_cancelled_from_the_terminal() {
    let env = TestEnv::new().await;
    let server = server(&env).await;
    let token = env.add_user("alice", "send,inbox").await;
    let alice = Api::new(server.url(), &token);

    let scheduled = run(
        notify(server.url(), &token),
        &["--json", "send", "--in", "1h", "much later"],
    )
    .await;
    assert!(scheduled.status.success(), "{}", stderr(&scheduled));
    let response: Value = serde_json::from_str(&stdout(&scheduled)).expect("--json response");
    assert_eq!(response["status"], "scheduled");
    let id = response["notifications"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let listed = alice
        .wait_for(
            "/v1/sent?scheduled=true",
            "the scheduled send listed",
            |p| p["items"].as_array().is_some_and(|i| i.len() == 1),
        )
        .await;
    assert_eq!(listed["items"][0]["id"], id.as_str());
    let sent = run(notify(server.url(), &token), &["sent", "--scheduled"]).await;
    assert!(stdout(&sent).contains(&id), "{}", stdout(&sent));

    let cancel = run(notify(server.url(), &token), &["cancel", &id, "--wait"]).await;
    assert!(cancel.status.success(), "{}", stderr(&cancel));
    alice
        .wait_operation(response["operation_id"].as_str().expect("op"), "cancelled")
        .await;
    // Cancelling it again changes nothing and still ends at once (it waited out its timeout
    // and exited 4 before: nothing resolved the new operation).
    let again = run(
        notify(server.url(), &token),
        &["cancel", &id, "--wait", "--timeout", "10s"],
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        stdout(&again).trim(),
        stdout(&cancel).trim(),
        "the operation that cancelled it"
    );

    // The operation id `send` printed cancels the send too (what of it is still scheduled).
    env.add_user("bob", "send,inbox").await;
    let scheduled = run(
        notify(server.url(), &token),
        &[
            "send",
            "--in",
            "1h",
            "--to",
            "alice",
            "--to",
            "bob",
            "also later",
        ],
    )
    .await;
    assert!(scheduled.status.success(), "{}", stderr(&scheduled));
    let operation = stdout(&scheduled).trim().to_owned();
    alice
        .wait_for(
            &format!("/v1/operations/{operation}"),
            "the send known",
            |op| op["notifications"].as_array().is_some_and(|n| n.len() == 2),
        )
        .await;
    let by_operation = run(
        notify(server.url(), &token),
        &["cancel", &operation, "--wait"],
    )
    .await;
    assert!(by_operation.status.success(), "{}", stderr(&by_operation));
    assert_eq!(
        stdout(&by_operation).lines().count(),
        2,
        "one cancel per recipient: {}",
        stdout(&by_operation)
    );
    alice.wait_operation(&operation, "cancelled").await;

    let past = run(
        notify(server.url(), &token),
        &["send", "--at", "2001-01-01T09:00", "too late"],
    )
    .await;
    assert_eq!(
        past.status.code(),
        Some(2),
        "a time in the past is a usage error: {}",
        stderr(&past)
    );
    let dispatched = env.count_events("notification.dispatched", None).await;
    assert_eq!(dispatched, 0, "nothing was dispatched");

    // A send that went out at once, named beside one still scheduled: the scheduled one is
    // cancelled, and the other is refused (exit 1), not passed over (it was exit 0).
    let now = run(notify(server.url(), &token), &["send", "right away"]).await;
    let later = run(
        notify(server.url(), &token),
        &["send", "--in", "1h", "later"],
    )
    .await;
    let (now, later) = (
        stdout(&now).trim().to_owned(),
        stdout(&later).trim().to_owned(),
    );
    for op in [&now, &later] {
        alice
            .wait_for(&format!("/v1/operations/{op}"), "the send known", |op| {
                op["notifications"].as_array().is_some_and(|n| n.len() == 1)
            })
            .await;
    }
    let both = run(notify(server.url(), &token), &["cancel", &now, &later]).await;
    assert_eq!(
        both.status.code(),
        Some(1),
        "the send that went out is refused: {}",
        stderr(&both)
    );
    assert!(
        stderr(&both).contains("no scheduled notification"),
        "{}",
        stderr(&both)
    );
    assert_eq!(stdout(&both).lines().count(), 1, "{}", stdout(&both));
    alice.wait_operation(&later, "cancelled").await;
}
