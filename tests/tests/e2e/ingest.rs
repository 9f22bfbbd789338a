//! Other services' domain events, sent the way another service would: CloudEvents published
//! on RabbitMQ with Python's `pika` and posted with `curl`, never with the project's own code.
//! One event makes one notification (in the inbox, and one popup), a copy makes none, and
//! each bad event is dead-lettered (or answered 4xx) with its reason while the queue flows on.

use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::{AMQPValue, FieldTable};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::cli::{run, stderr, stdout};
use notify_tests::daemon::DaemonHome;
use notify_tests::desktop::Desktop;
use notify_tests::server::Server;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const RULES: &str = r#"
[[rule]]
type = "com.example.task.assigned"
source = "/tasks"
recipients_from = "data.assignee"
title = "Task {{ data.task }}"
body = "{{ data.by }} assigned you {{ data.task }}"
priority = "high"
tags = ["tasks"]
thread = "task-{{ subject }}"
"#;

/// A test's world: a server with the ingest role and the rules above, the service `tasks`,
/// and user `alice`.
struct Scene {
    env: TestEnv,
    server: Server,
    service: Value,
    alice_token: String,
    alice: Api,
}

impl Scene {
    async fn new() -> Self {
        let env = TestEnv::new().await;
        let path = std::env::temp_dir().join(format!("{}-rules.toml", env.name));
        std::fs::write(&path, RULES).expect("write rules");
        let path = path.to_str().expect("utf-8 path").to_owned();
        let server = env
            .start_server_with(
                "api,relay,projector,dispatcher,ingest",
                &[
                    ("NOTIFY_SERVER_INGEST_RULES", &path),
                    ("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100"),
                ],
            )
            .await;
        let alice_token = env.add_user("alice", "send,inbox").await;
        let alice = Api::new(server.url(), &alice_token);
        let service = env.add_service("tasks").await;
        Self {
            env,
            server,
            service,
            alice_token,
            alice,
        }
    }

    fn credential(&self, key: &str) -> &str {
        self.service[key].as_str().expect("credential")
    }

    /// Publishes `messages` with pika as the service: each `[routing_key, mode, body, attributes]`,
    /// where mode is `structured` or `binary` (attributes as `cloudEvents:` application
    /// properties). Returns pika's exit status and stderr.
    async fn publish(&self, messages: &Value) -> (bool, String) {
        let mut python = tokio::process::Command::new("/usr/bin/python3")
            .args([
                "-c",
                PUBLISH,
                self.credential("amqp_url"),
                self.credential("exchange"),
            ])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 with pika (scripts/services installs it)");
        let mut stdin = python.stdin.take().expect("stdin");
        stdin
            .write_all(messages.to_string().as_bytes())
            .await
            .expect("write messages");
        drop(stdin);
        let output = python.wait_with_output().await.expect("pika ran");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Posts `body` to `/v1/events` with curl and the service's token, with extra headers;
    /// returns the status and the answer.
    async fn curl(&self, headers: &[&str], body: &str) -> (u16, Value) {
        let mut command = tokio::process::Command::new("curl");
        command.args(["-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST"]);
        command.args([
            "-H",
            &format!("Authorization: Bearer {}", self.credential("token")),
        ]);
        for header in headers {
            command.args(["-H", header]);
        }
        command.args([
            "--data-binary",
            body,
            &format!("{}/v1/events", self.server.url()),
        ]);
        let output = command.output().await.expect("curl ran");
        let text = String::from_utf8(output.stdout).expect("utf-8");
        let (answer, status) = text.rsplit_once('\n').expect("status line");
        (
            status.parse().expect("status code"),
            serde_json::from_str(answer).unwrap_or(Value::Null),
        )
    }

    /// alice's inbox once it holds `n` notifications.
    async fn inbox(&self, n: usize) -> Vec<Value> {
        let page = self
            .alice
            .wait_for(
                "/v1/notifications?limit=200",
                &format!("{n} notifications"),
                |page| {
                    page["items"]
                        .as_array()
                        .is_some_and(|items| items.len() >= n)
                },
            )
            .await;
        page["items"].as_array().expect("items").clone()
    }
}

/// Reads JSON `[[routing_key, mode, body, attributes], …]` from stdin and publishes each to the
/// exchange with pika, persistent, with publisher confirms.
const PUBLISH: &str = r#"
import json, sys, pika
url, exchange = sys.argv[1], sys.argv[2]
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.confirm_delivery()
for routing_key, mode, body, attributes in json.load(sys.stdin):
    if mode == "structured":
        properties = pika.BasicProperties(content_type="application/cloudevents+json", delivery_mode=2)
    else:
        headers = {"cloudEvents:" + name: value for name, value in attributes.items()}
        properties = pika.BasicProperties(content_type="application/json", headers=headers, delivery_mode=2)
    channel.basic_publish(exchange=exchange, routing_key=routing_key, body=body.encode(), properties=properties)
connection.close()
"#;

fn assigned(id: &str, assignee: &str, task: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": "/tasks",
        "type": "com.example.task.assigned",
        "subject": "7",
        "datacontenttype": "application/json",
        "data": {"assignee": assignee, "task": task, "by": "bob"},
    })
}

#[tokio::test]
async fn a_published_domain_event_makes_one_notification_and_one_popup_and_its_copy_none() {
    let scene = Scene::new().await;
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let _daemon = home
        .start(scene.server.url(), &scene.alice_token, &desktop)
        .await;

    let structured = assigned("e-1", "alice", "Review").to_string();
    let binary_attributes = json!({
        "specversion": "1.0",
        "id": "e-2",
        "source": "/tasks",
        "type": "com.example.task.assigned",
        "subject": "8",
    });
    let binary_data = json!({"assignee": "alice", "task": "Deploy", "by": "carol"}).to_string();
    let (published, why) = scene
        .publish(&json!([
            ["tasks", "structured", structured, {}],
            ["tasks.assigned", "structured", structured, {}],
        ]))
        .await;
    assert!(published, "pika: {why}");
    let first = scene.inbox(1).await;
    let (published, why) = scene
        .publish(&json!([
            ["tasks", "binary", binary_data, binary_attributes],
            ["tasks", "binary", binary_data, binary_attributes],
        ]))
        .await;
    assert!(published, "pika: {why}");
    let items = scene.inbox(2).await;
    // Time for a copy to have made a third.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        2
    );
    let (_, page) = scene.alice.get("/v1/notifications").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2), "{page}");

    let review = &first[0];
    assert_eq!(review["title"], "Task Review");
    assert_eq!(review["body"], "bob assigned you Review");
    assert_eq!(review["sender"], "tasks");
    assert_eq!(review["priority"], "high");
    assert_eq!(review["thread"], "task-7");
    let titles: Vec<&str> = items.iter().filter_map(|i| i["title"].as_str()).collect();
    assert!(titles.contains(&"Task Deploy"), "{titles:?}");

    for _ in 0..100 {
        desktop.close_all().await;
        if desktop.popups().await.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    desktop.close_all().await;
    let mut shown: Vec<String> = desktop
        .popups()
        .await
        .into_iter()
        .map(|popup| popup.summary)
        .collect();
    shown.sort();
    assert_eq!(shown, ["Task Deploy", "Task Review"], "one popup each");

    let id = review["id"].as_str().expect("id");
    let show = run(
        home.notify(scene.server.url(), &scene.alice_token),
        &["show", "--events", id],
    )
    .await;
    assert!(
        stdout(&show).contains("caused by com.example.task.assigned e-1 from /tasks"),
        "{}{}",
        stdout(&show),
        stderr(&show)
    );
}

#[tokio::test]
async fn a_domain_event_posted_with_curl_makes_one_send_and_its_copy_the_same_answer() {
    let scene = Scene::new().await;
    let event = assigned("h-1", "alice", "Review").to_string();
    let structured = ["Content-Type: application/cloudevents+json"];
    let (status, first) = scene.curl(&structured, &event).await;
    assert_eq!(status, 202, "{first}");
    let (status, again) = scene.curl(&structured, &event).await;
    assert_eq!(
        (status, &again),
        (202, &first),
        "a copy answers the first send"
    );

    let data = json!({"assignee": "alice", "task": "Deploy", "by": "carol"}).to_string();
    let binary = [
        "Content-Type: application/json",
        "ce-specversion: 1.0",
        "ce-id: h-2",
        "ce-source: /tasks",
        "ce-type: com.example.task.assigned",
        "ce-subject: 9",
    ];
    let (status, answer) = scene.curl(&binary, &data).await;
    assert_eq!(status, 202, "{answer}");
    assert_ne!(answer["operation_id"], first["operation_id"]);
    scene.inbox(2).await;
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        2
    );

    // The same id with other content is refused, and sends nothing.
    let changed = assigned("h-1", "alice", "Something else").to_string();
    let (status, refused) = scene.curl(&structured, &changed).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["type"], "urn:notify:problem:idempotency-key-reused");

    // A token without the events scope may not post events.
    let (status, _) = scene
        .alice
        .post("/v1/events", Some(&assigned("h-3", "alice", "x")))
        .await;
    assert_eq!(status.as_u16(), 403);
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        2
    );
}

#[tokio::test]
async fn bad_domain_events_are_refused_with_their_reason_and_the_queue_flows_on() {
    let scene = Scene::new().await;
    let not_json = "hello".to_owned();
    let mut no_rule = assigned("b-2", "alice", "x");
    no_rule["type"] = json!("com.example.unknown");
    let stranger = assigned("b-3", "nobody", "x").to_string();
    let mut no_task = assigned("b-4", "alice", "x");
    no_task["data"] = json!({"assignee": "alice", "by": "bob"});
    let good = assigned("b-5", "alice", "After the bad ones").to_string();
    let (published, why) = scene
        .publish(&json!([
            ["tasks", "structured", not_json, {}],
            ["tasks", "structured", no_rule.to_string(), {}],
            ["tasks", "structured", stranger, {}],
            ["tasks", "structured", no_task.to_string(), {}],
            ["tasks", "structured", good, {}],
        ]))
        .await;
    assert!(published, "pika: {why}");
    let items = scene.inbox(1).await;
    assert_eq!(items[0]["title"], "Task After the bad ones");

    let mut reasons = dead_letter_reasons(&scene.env, 4).await;
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "no-rule",
            "not-a-cloudevent",
            "rule-failed",
            "unknown-recipient"
        ]
    );
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        1
    );

    // Over HTTP the same cases are answered 4xx, with the problem type.
    let structured = ["Content-Type: application/cloudevents+json"];
    let (status, problem) = scene.curl(&structured, "hello").await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (400, Some("urn:notify:problem:not-a-cloudevent"))
    );
    let (status, problem) = scene.curl(&structured, &no_rule.to_string()).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (422, Some("urn:notify:problem:no-rule"))
    );
    let (status, problem) = scene.curl(&structured, &no_task.to_string()).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (422, Some("urn:notify:problem:rule-failed"))
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("title")),
        "{problem}"
    );

    // A service may publish only under its own name.
    let elsewhere = assigned("b-6", "alice", "x").to_string();
    let (published, why) = scene
        .publish(&json!([["billing", "structured", elsewhere, {}]]))
        .await;
    assert!(
        !published,
        "the broker refuses another service's routing key"
    );
    assert!(
        why.contains("ACCESS_REFUSED") || why.contains("403"),
        "{why}"
    );

    // Each refusal is counted.
    let admin = scene.env.add_user("root", "admin").await;
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", scene.server.url()))
        .bearer_auth(admin)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics text");
    for line in [
        r#"notify_ingested_events_total{transport="amqp",outcome="no-rule"} 1"#,
        r#"notify_ingested_events_total{transport="amqp",outcome="accepted"} 1"#,
        r#"notify_ingested_events_total{transport="http",outcome="not-a-cloudevent"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

/// The `notify-reason` headers of the first `n` dead letters.
async fn dead_letter_reasons(env: &TestEnv, n: usize) -> Vec<String> {
    let connection = lapin::Connection::connect(&env.amqp_url, Default::default())
        .await
        .expect("connect");
    let channel = connection.create_channel().await.expect("channel");
    let mut consumer = channel
        .basic_consume(
            "notify.dead".into(),
            "test".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("consume the dead letters");
    let mut reasons = Vec::new();
    while reasons.len() < n {
        let delivery = tokio::time::timeout(Duration::from_secs(20), consumer.next())
            .await
            .unwrap_or_else(|_| panic!("only {reasons:?} of {n} dead letters"))
            .expect("a delivery")
            .expect("a message");
        let reason = delivery
            .properties
            .headers()
            .as_ref()
            .and_then(|headers| match headers.inner().get("notify-reason") {
                Some(AMQPValue::LongString(text)) => Some(text.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "(none)".into());
        delivery.ack(BasicAckOptions::default()).await.expect("ack");
        reasons.push(reason);
    }
    reasons
}

#[tokio::test]
async fn rules_check_renders_the_example_event_and_points_at_a_broken_rule() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let check = |args: Vec<std::ffi::OsString>| async move {
        tokio::process::Command::new(notify_tests::binary("notify-server"))
            .args(["rules", "check"])
            .args(args)
            .env_remove("NOTIFY_SERVER_CONFIG")
            .output()
            .await
            .expect("run rules check")
    };
    let good = check(vec![
        examples.join("ingest-rules.toml").into(),
        "--event".into(),
        examples.join("task-assigned.json").into(),
    ])
    .await;
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let made: Value = serde_json::from_slice(&good.stdout).expect("JSON");
    assert_eq!(made["send"]["to"], json!(["alice"]));
    assert_eq!(made["send"]["title"], "Task Review the deploy");

    let broken = std::env::temp_dir().join(format!("broken-rules-{}.toml", std::process::id()));
    std::fs::write(
        &broken,
        "[[rule]]\ntype = \"t\"\nrecipients = [\"a\"]\nbody = \"{{ data.x \"\n",
    )
    .expect("write");
    let bad = check(vec![broken.clone().into()]).await;
    assert_eq!(bad.status.code(), Some(1));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("rule 1 (t): body: syntax error"), "{said}");
    std::fs::remove_file(broken).ok();
}

#[tokio::test]
async fn a_deleted_service_can_neither_publish_nor_post() {
    let scene = Scene::new().await;
    let before = assigned("d-1", "alice", "Before").to_string();
    let (published, why) = scene
        .publish(&json!([["tasks", "structured", before, {}]]))
        .await;
    assert!(published, "pika: {why}");
    scene.inbox(1).await;

    let deleted = scene
        .env
        .server_command()
        .args(["services", "delete", "tasks"])
        .output()
        .await
        .expect("run services delete");
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    let after = assigned("d-2", "alice", "After").to_string();
    let (published, _) = scene
        .publish(&json!([["tasks", "structured", after.clone(), {}]]))
        .await;
    assert!(
        !published,
        "the broker refuses the deleted service's account"
    );
    let (status, _) = scene
        .curl(&["Content-Type: application/cloudevents+json"], &after)
        .await;
    assert_eq!(status, 401, "its token is revoked");
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        1
    );
}

#[tokio::test]
async fn an_ingest_role_killed_while_events_arrive_loses_and_doubles_none() {
    let scene = Scene::new().await;
    // A second process runs only the ingest role: it is killed with SIGKILL while events
    // arrive and started again; the first one's ingest role shares the queue meanwhile.
    let path = std::env::temp_dir().join(format!("{}-rules.toml", scene.env.name));
    let path = path.to_str().expect("utf-8 path").to_owned();
    let rules = [("NOTIFY_SERVER_INGEST_RULES", path.as_str())];
    let mut second = scene.env.start_server_with("ingest", &rules).await;
    const EVENTS: usize = 200;
    let messages: Vec<Value> = (0..EVENTS)
        .map(|n| {
            let event = assigned(&format!("k-{n}"), "alice", &format!("task {n}")).to_string();
            json!(["tasks", "structured", event, {}])
        })
        .collect();
    let all = Value::Array(messages);
    let publishing = scene.publish(&all);
    let killing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        second
            .child
            .start_kill()
            .expect("SIGKILL the ingest process");
        second.child.wait().await.expect("it exits");
        tokio::time::sleep(Duration::from_millis(200)).await;
        scene.env.start_server_with("ingest", &rules).await
    };
    let ((published, why), _restarted) = tokio::join!(publishing, killing);
    assert!(published, "pika: {why}");
    // And every event once more, as a publisher that was not sure would.
    let (published, why) = scene.publish(&all).await;
    assert!(published, "pika: {why}");
    scene.inbox(EVENTS).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        EVENTS as i64,
        "each event made exactly one notification"
    );
    let (_, page) = scene.alice.get("/v1/notifications?limit=200").await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(EVENTS),
        "none twice in the inbox"
    );
}
