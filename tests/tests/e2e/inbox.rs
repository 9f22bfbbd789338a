//! The read side: the projector builds the inbox, and the api's queries and inbox commands.

use std::collections::HashSet;

use notify_tests::TestEnv;
use notify_tests::api::Api;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A server with every role, and users `alice` (recipient) and `bob` (sender).
async fn setup(env: &TestEnv) -> (notify_tests::server::Server, Api, Api) {
    let server = env.start_server("api,relay,projector").await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    (server, alice, bob)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_sent_notification_shows_in_the_recipients_inbox_with_its_fields() {
    let env = TestEnv::new().await;
    let (_server, alice, bob) = setup(&env).await;
    let sent = bob
        .send(
            &["alice"],
            "Deploy of api finished",
            json!({"title": "Deploy", "priority": "high", "tags": ["ci"], "thread": "api"}),
        )
        .await;

    let page = alice
        .wait_for(
            "/v1/notifications",
            "the notification in alice's inbox",
            |p| ids(p).len() == 1,
        )
        .await;
    let item = &page["items"][0];
    assert_eq!(item["id"], sent[0].to_string());
    assert_eq!(item["sender"], "bob");
    assert_eq!(item["recipient"], "alice");
    assert_eq!(item["title"], "Deploy");
    assert_eq!(item["body"], "Deploy of api finished");
    assert_eq!(item["priority"], "high");
    assert_eq!(item["tags"], json!(["ci"]));
    assert_eq!(item["thread"], "api");
    assert_eq!(item["status"], "dispatched");
    assert!(
        item["dispatched_at"].is_string() && item["read_at"].is_null(),
        "{item}"
    );
    assert_eq!(page["next_cursor"], Value::Null);

    assert_eq!(alice.get("/v1/inbox/count").await.1["unread"], 1);
    let (status, shown) = alice.get(&format!("/v1/notifications/{}", sent[0])).await;
    assert_eq!((status, &shown), (StatusCode::OK, item));
    let (_, history) = alice
        .get(&format!("/v1/notifications/{}/events", sent[0]))
        .await;
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["notification.requested", "notification.dispatched"]);
    assert_eq!(
        bob.get("/v1/notifications").await.1["items"],
        json!([]),
        "bob's own inbox is empty"
    );
    let (_, sent_page) = bob.get("/v1/sent").await;
    assert_eq!(
        ids(&sent_page),
        [sent[0].to_string()],
        "bob sees what he sent"
    );
}

#[tokio::test]
async fn search_and_tag_filters_select_the_matching_notifications() {
    let env = TestEnv::new().await;
    let (_server, alice, bob) = setup(&env).await;
    let deploy = bob
        .send(
            &["alice"],
            "the api deploy finished",
            json!({"tags": ["ci", "api"]}),
        )
        .await;
    let backup = bob
        .send(
            &["alice"],
            "nightly backup done",
            json!({"title": "Backup", "tags": ["ops"]}),
        )
        .await;
    let failed = bob
        .send(&["alice"], "deploy of web failed", json!({"tags": ["ci"]}))
        .await;
    alice
        .wait_for("/v1/notifications", "three notifications", |p| {
            ids(p).len() == 3
        })
        .await;

    let get_ids = |path: &'static str| {
        let alice = alice.clone();
        async move { ids(&alice.get(path).await.1) }
    };
    assert_eq!(
        get_ids("/v1/notifications?tag=ci").await,
        [failed[0].to_string(), deploy[0].to_string()]
    );
    assert_eq!(
        get_ids("/v1/notifications?tag=ops").await,
        [backup[0].to_string()]
    );
    assert_eq!(
        get_ids("/v1/notifications?q=deploy").await,
        [failed[0].to_string(), deploy[0].to_string()]
    );
    assert_eq!(
        get_ids("/v1/notifications?q=Depl").await,
        [failed[0].to_string(), deploy[0].to_string()],
        "a word matches as a prefix, in any case"
    );
    assert_eq!(
        get_ids("/v1/notifications?q=%22api%20depl%22").await,
        [deploy[0].to_string()],
        "a quoted phrase still keeps its order"
    );
    assert_eq!(
        get_ids("/v1/notifications?q=depl%20-web").await,
        [deploy[0].to_string()],
        "a -word still excludes"
    );
    assert_eq!(
        get_ids("/v1/notifications?q=backup").await,
        [backup[0].to_string()],
        "the title is searched too"
    );
    assert_eq!(
        get_ids("/v1/notifications?q=deploy&tag=api").await,
        [deploy[0].to_string()]
    );
    assert_eq!(
        get_ids("/v1/notifications?q=nothing-like-this").await,
        Vec::<String>::new()
    );

    for bad in [
        "/v1/notifications?limit=0",
        "/v1/notifications?limit=201",
        "/v1/notifications?before=garbage",
        "/v1/notifications?color=red",
    ] {
        let (status, problem) = alice.get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
    }
}

#[tokio::test]
async fn keyset_pagination_returns_every_item_exactly_once_while_new_ones_arrive() {
    let env = TestEnv::new().await;
    let (_server, alice, bob) = setup(&env).await;
    let mut expected = HashSet::new();
    for i in 0..25 {
        expected.extend(
            bob.send(&["alice"], &format!("message {i}"), json!({}))
                .await
                .iter()
                .map(|id| id.to_string()),
        );
    }
    alice
        .wait_for("/v1/inbox/count", "25 unread", |c| c["unread"] == 25)
        .await;

    let mut seen = Vec::new();
    let mut path = "/v1/notifications?limit=7".to_owned();
    loop {
        let (status, page) = alice.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        // New notifications arrive between pages; they are newer than every cursor.
        bob.send(&["alice"], "arrived while paging", json!({}))
            .await;
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/notifications?limit=7&before={cursor}"),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no item twice");
    assert!(
        expected.is_subset(&unique),
        "every item of the first 25 was listed"
    );
    assert!(
        unique.len() <= 25 + 1,
        "at most the one arrival that was already in before paging started: {}",
        unique.len()
    );
}

#[tokio::test]
async fn read_unread_and_read_all_change_the_list_and_the_count() {
    let env = TestEnv::new().await;
    let (_server, alice, bob) = setup(&env).await;
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.extend(bob.send(&["alice"], &format!("n{i}"), json!({})).await);
    }
    alice
        .wait_for("/v1/inbox/count", "3 unread", |c| c["unread"] == 3)
        .await;

    let (status, accepted) = alice
        .post(&format!("/v1/notifications/{}/read", mine[0]), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let operation = accepted["operation_id"].as_str().expect("operation id");
    let resolved = alice.wait_operation(operation, "applied").await;
    assert_eq!(resolved["kind"], "read");
    assert_eq!(resolved["notifications"], json!([mine[0].to_string()]));
    // Once applied, the read model reflects it: no polling needed.
    assert_eq!(alice.get("/v1/inbox/count").await.1["unread"], 2);
    let unread = ids(&alice.get("/v1/notifications?unread=true").await.1);
    assert!(
        !unread.contains(&mine[0].to_string()) && unread.len() == 2,
        "{unread:?}"
    );

    let (_, accepted) = alice
        .post(&format!("/v1/notifications/{}/unread", mine[0]), None)
        .await;
    alice
        .wait_operation(accepted["operation_id"].as_str().expect("id"), "applied")
        .await;
    assert_eq!(alice.get("/v1/inbox/count").await.1["unread"], 3);

    let (_, accepted) = alice.post("/v1/inbox/read-all", None).await;
    alice
        .wait_operation(accepted["operation_id"].as_str().expect("id"), "applied")
        .await;
    assert_eq!(alice.get("/v1/inbox/count").await.1["unread"], 0);
    assert_eq!(
        ids(&alice.get("/v1/notifications?unread=true").await.1),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&alice.get("/v1/notifications").await.1).len(),
        3,
        "read ones stay in the list"
    );
    let read_all_events = env.count_events("inbox.read_all", None).await;
    assert_eq!(
        read_all_events, 1,
        "read-all is one event, not one per notification"
    );

    let later = bob.send(&["alice"], "after read-all", json!({})).await;
    alice
        .wait_for("/v1/inbox/count", "the new one unread", |c| {
            c["unread"] == 1
        })
        .await;
    assert_eq!(
        ids(&alice.get("/v1/notifications?unread=true").await.1),
        [later[0].to_string()]
    );
}

#[tokio::test]
async fn the_unread_count_stays_right_under_concurrent_read_and_unread() {
    let env = TestEnv::new().await;
    let (_server, alice, bob) = setup(&env).await;
    let mut mine = Vec::new();
    for i in 0..4 {
        mine.extend(bob.send(&["alice"], &format!("n{i}"), json!({})).await);
    }
    alice
        .wait_for("/v1/inbox/count", "4 unread", |c| c["unread"] == 4)
        .await;

    // Many clients flip the same notifications at once; each command is retried on 409 with
    // its own key, as the CLI does. The last command applied per notification decides.
    let mut tasks = Vec::new();
    for round in 0..6 {
        for id in &mine {
            let alice = alice.clone();
            let verb = if round % 2 == 0 { "unread" } else { "read" };
            let path = format!("/v1/notifications/{id}/{verb}");
            tasks.push(tokio::spawn(async move {
                let key = uuid::Uuid::now_v7();
                loop {
                    let (status, body) = alice.post_with_key(&path, key, None).await;
                    match status {
                        StatusCode::ACCEPTED => {
                            return body["operation_id"].as_str().expect("id").to_owned();
                        }
                        StatusCode::CONFLICT => {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await
                        }
                        other => panic!("{path}: {other} {body}"),
                    }
                }
            }));
        }
    }
    for task in tasks {
        let operation = task.await.expect("task");
        alice.wait_operation(&operation, "applied").await;
    }
    let unread: i64 =
        ids(&alice.get("/v1/notifications?unread=true&limit=200").await.1).len() as i64;
    let (_, count) = alice.get("/v1/inbox/count").await;
    assert_eq!(
        count["unread"], unread,
        "the count equals the unread items listed"
    );
    // The final state per notification is the last event of its aggregate.
    let mut expected_unread = 0;
    for id in &mine {
        let last: String = sqlx::query_scalar(
            "SELECT kind FROM events WHERE aggregate_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .fetch_one(&env.write)
        .await
        .expect("last event");
        if last == "notification.unread" {
            expected_unread += 1;
        }
    }
    assert_eq!(count["unread"], expected_unread);
}

#[tokio::test]
async fn another_users_notification_is_404_on_every_route() {
    let env = TestEnv::new().await;
    let (server, alice, bob) = setup(&env).await;
    let carol = Api::new(server.url(), &env.add_user("carol", "send,inbox").await);
    let sent = bob.send(&["alice"], "for alice only", json!({})).await;
    alice
        .wait_for("/v1/inbox/count", "1 unread", |c| c["unread"] == 1)
        .await;
    let (_, accepted) = alice
        .post(&format!("/v1/notifications/{}/read", sent[0]), None)
        .await;
    let operation = accepted["operation_id"].as_str().expect("id").to_owned();
    alice.wait_operation(&operation, "applied").await;

    let id = sent[0];
    for path in [
        format!("/v1/notifications/{id}"),
        format!("/v1/notifications/{id}/events"),
        format!("/v1/operations/{operation}"),
    ] {
        let (status, problem) = carol.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {problem}");
        assert_eq!(problem["type"], "urn:notify:problem:not-found");
    }
    for path in [
        format!("/v1/notifications/{id}/read"),
        format!("/v1/notifications/{id}/unread"),
    ] {
        assert_eq!(
            carol.post(&path, None).await.0,
            StatusCode::NOT_FOUND,
            "POST {path}"
        );
        // The sender cannot change the recipient's inbox either.
        assert_eq!(
            bob.post(&path, None).await.0,
            StatusCode::NOT_FOUND,
            "POST {path} as the sender"
        );
    }
    assert_eq!(carol.get("/v1/notifications").await.1["items"], json!([]));
    assert_eq!(carol.get("/v1/inbox/count").await.1["unread"], 0);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = $1")
        .bind(id)
        .fetch_one(&env.write)
        .await
        .expect("count");
    assert_eq!(
        events, 3,
        "requested, dispatched, alice's read: nothing from carol or bob"
    );
}

#[tokio::test]
async fn every_answer_says_how_long_the_server_took_in_server_timing() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let token = env.add_user("alice", "send,inbox").await;
    let http = reqwest::Client::new();
    for (path, expected) in [
        ("/v1/me", StatusCode::OK),
        ("/v1/no-such-route", StatusCode::NOT_FOUND),
    ] {
        let response = http
            .get(format!("{}{path}", server.url()))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), expected, "{path}");
        let timing = response.headers()["server-timing"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let millis: f64 = timing
            .strip_prefix("app;dur=")
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{path}: Server-Timing {timing:?}"));
        assert!(millis >= 0.0 && millis.is_finite(), "{path}: {timing}");
    }
}

#[tokio::test]
async fn with_the_write_db_down_queries_are_served_to_the_tokens_already_seen() {
    use notify_tests::proxy::Proxy;

    let env = TestEnv::new().await;
    let mut proxy = Proxy::start("127.0.0.1:5678").await;
    let proxied = env
        .write_url
        .replace("127.0.0.1:5678", &proxy.address.to_string());
    let server = env
        .start_server_with(
            "api,relay,projector",
            &[("NOTIFY_SERVER_WRITE_DB", &proxied)],
        )
        .await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    alice.send(&["alice"], "before the outage", json!({})).await;
    alice
        .wait_for("/v1/inbox/count", "projected", |c| c["unread"] == 1)
        .await;

    proxy.cut();
    // Queries read only the read DB: alice, whose token this api looked up before, is served.
    let (status, page) = alice.get("/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    let (status, count) = alice.get("/v1/inbox/count").await;
    assert_eq!(
        (status, count["unread"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(alice.get("/v1/me").await.0, StatusCode::OK);
    // A token never looked up cannot be checked: 503, not 401.
    let (status, problem) = bob.get("/v1/inbox/count").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    // Commands need the write DB.
    let (status, problem) = alice
        .post(
            "/v1/notifications",
            Some(&json!({"to": ["alice"], "body": "during"})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");

    proxy.restore().await;
    bob.wait_for("/v1/inbox/count", "bob served again", |c| c["unread"] == 0)
        .await;
}
