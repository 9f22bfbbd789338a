//! The gRPC gateway through a client generated from `proto/notify/v1/notify.proto`, against
//! the real system: a send and its idempotent retry, `WatchOperation` to `delivered`, the
//! history, another user's id, a missing scope, oversized input, and health and reflection.

use notify_server::grpc::proto::notify_client::NotifyClient;
use notify_server::grpc::proto::{
    self, GetHistoryRequest, GetNotificationRequest, GetOperationRequest, ListNotificationsRequest,
    ListSentRequest, SendRequest, WatchOperationRequest,
};
use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::server::Server;
use notify_tests::webhook::Receiver;
use serde_json::json;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_types::StatusExt;

struct Scene {
    env: TestEnv,
    server: Server,
    receiver: Receiver,
}

impl Scene {
    async fn new() -> Self {
        let env = TestEnv::new().await;
        let receiver = Receiver::start(200).await;
        let server = env
            .start_server_with(
                "api,relay,projector,dispatcher,webhook",
                &[
                    ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
                    ("NOTIFY_SERVER_GRPC_LISTEN", "127.0.0.1:0"),
                ],
            )
            .await;
        Self {
            env,
            server,
            receiver,
        }
    }

    async fn client(&self) -> NotifyClient<Channel> {
        let url = self.server.grpc.clone().expect("the gateway listens");
        NotifyClient::connect(url)
            .await
            .expect("connect to the gateway")
    }

    /// A user whose notifications go to the test's webhook receiver.
    async fn user(&self, name: &str, scopes: &str) -> String {
        let token = self.env.add_user(name, scopes).await;
        if scopes.contains("inbox") {
            Api::new(self.server.url(), &token)
                .set_preferences(json!({"channels": ["webhook"], "webhook_url": self.receiver.url}))
                .await;
        }
        token
    }
}

/// `message` with the bearer token in its metadata.
fn authorized<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value: MetadataValue<_> = format!("Bearer {token}").parse().expect("ascii token");
    request.metadata_mut().insert("authorization", value);
    request
}

fn send_to(recipient: &str, key: &str, body: &str) -> SendRequest {
    SendRequest {
        idempotency_key: key.into(),
        to: vec![recipient.into()],
        title: Some("Deploy".into()),
        body: body.into(),
        priority: proto::Priority::High.into(),
        tags: vec!["ci".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_send_over_grpc_is_watched_to_delivered_and_its_retry_sends_nothing_more() {
    let scene = Scene::new().await;
    let alice = scene.user("alice", "send,inbox").await;
    let bob = scene.user("bob", "send,inbox").await;
    let mut client = scene.client().await;

    let key = uuid::Uuid::now_v7().to_string();
    let sent = client
        .send(authorized(&alice, send_to("bob", &key, "Deploy finished")))
        .await
        .expect("send")
        .into_inner();
    assert_eq!(sent.operation_id, key);
    assert_eq!(sent.status, i32::from(proto::OperationStatus::Accepted));
    let again = client
        .send(authorized(&alice, send_to("bob", &key, "Deploy finished")))
        .await
        .expect("the retry")
        .into_inner();
    assert_eq!(again, sent, "the retry answers the first send");

    let mut watch = client
        .watch_operation(authorized(
            &alice,
            WatchOperationRequest {
                id: key.clone(),
                timeout_seconds: 30,
            },
        ))
        .await
        .expect("watch")
        .into_inner();
    let mut seen = Vec::new();
    while let Some(operation) = watch.message().await.expect("a stream item") {
        seen.push(operation.status);
    }
    assert_eq!(
        seen.last().copied(),
        Some(i32::from(proto::OperationStatus::Delivered)),
        "the stream ends at delivered: {seen:?}"
    );
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        1
    );
    assert_eq!(scene.receiver.received().len(), 1, "one webhook call");

    let notification = &sent.notifications[0].id;
    let found = client
        .get_notification(authorized(
            &bob,
            GetNotificationRequest {
                id: notification.clone(),
            },
        ))
        .await
        .expect("bob's notification")
        .into_inner();
    assert_eq!(
        (
            found.title.as_deref(),
            found.body.as_str(),
            found.sender.as_str()
        ),
        (Some("Deploy"), "Deploy finished", "alice")
    );
    assert_eq!(found.priority, i32::from(proto::Priority::High));
    let inbox = client
        .list_notifications(authorized(&bob, ListNotificationsRequest::default()))
        .await
        .expect("bob's inbox")
        .into_inner();
    assert_eq!(inbox.items.len(), 1);
    let mine = client
        .list_sent(authorized(&alice, ListSentRequest::default()))
        .await
        .expect("alice's sends")
        .into_inner();
    let delivery = &mine.items[0].deliveries[0];
    assert_eq!(delivery.status, i32::from(proto::DeliveryStatus::Succeeded));
    assert_eq!(delivery.address, None, "a sender never sees the address");
    let history = client
        .get_history(authorized(
            &alice,
            GetHistoryRequest {
                id: notification.clone(),
            },
        ))
        .await
        .expect("history")
        .into_inner();
    let kinds: Vec<&str> = history.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"notification.requested"));
    assert_eq!(kinds.last(), Some(&"notification.delivered"));
    let operation = client
        .get_operation(authorized(&alice, GetOperationRequest { id: key }))
        .await
        .expect("operation")
        .into_inner();
    assert_eq!(operation.kind, i32::from(proto::OperationKind::Send));

    // Operators see the gateway's calls beside the HTTP api's.
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
        r#"notify_grpc_requests_total{method="Send",code="Ok"} 2"#,
        r#"notify_grpc_requests_total{method="WatchOperation",code="Ok"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn the_gateway_refuses_others_ids_missing_scopes_and_oversized_input_as_http_does() {
    let scene = Scene::new().await;
    let alice = scene.user("alice", "send,inbox").await;
    let bob = scene.user("bob", "send,inbox").await;
    let reader = scene.user("reader", "inbox").await;
    let mut client = scene.client().await;
    let sent = client
        .send(authorized(&alice, send_to("alice", "", "mine")))
        .await
        .expect("send")
        .into_inner();

    let theirs = client
        .get_notification(authorized(
            &bob,
            GetNotificationRequest {
                id: sent.notifications[0].id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(theirs.code(), Code::NotFound, "{theirs:?}");
    let operation = client
        .get_operation(authorized(
            &bob,
            GetOperationRequest {
                id: sent.operation_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(operation.code(), Code::NotFound);

    let scope = client
        .send(authorized(&reader, send_to("alice", "", "no")))
        .await
        .unwrap_err();
    assert_eq!(scope.code(), Code::PermissionDenied, "{scope:?}");
    let anonymous = client
        .list_notifications(tonic::Request::new(ListNotificationsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);

    let long = client
        .send(authorized(
            &alice,
            send_to("alice", "", &"x".repeat(17 * 1024)),
        ))
        .await
        .unwrap_err();
    assert_eq!(long.code(), Code::InvalidArgument, "{long:?}");
    let details = long.get_error_details();
    assert_eq!(
        details.error_info().map(|info| info.reason.as_str()),
        Some("validation")
    );
    let fields: Vec<&str> = details
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| v.field.as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(fields, ["body"]);
    let huge = client
        .send(authorized(
            &alice,
            send_to("alice", "", &"x".repeat(100 * 1024)),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            huge.code(),
            Code::OutOfRange | Code::ResourceExhausted | Code::InvalidArgument
        ),
        "{huge:?}"
    );
    let unknown = client
        .send(authorized(&alice, send_to("nobody", "", "hello")))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert_eq!(
        unknown
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone()),
        Some("unknown-recipient".into())
    );
    // Only the one valid send was stored.
    assert_eq!(
        scene.env.count_events("notification.requested", None).await,
        1
    );

    let key = uuid::Uuid::now_v7().to_string();
    client
        .send(authorized(&alice, send_to("alice", &key, "first")))
        .await
        .expect("first");
    let reused = client
        .send(authorized(&alice, send_to("alice", &key, "second")))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(
        reused
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone()),
        Some("idempotency-key-reused".into())
    );
}

#[tokio::test]
async fn health_and_reflection_answer_standard_clients() {
    let scene = Scene::new().await;
    let url = scene.server.grpc.clone().expect("the gateway listens");
    let channel = Channel::from_shared(url)
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "notify.v1.Notify".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        serving.status,
        i32::from(tonic_health::pb::health_check_response::ServingStatus::Serving)
    );

    let mut reflection = ServerReflectionClient::new(channel);
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures::stream::iter([ask]))
        .await
        .expect("reflection")
        .into_inner();
    let answer = answers.message().await.expect("an answer").expect("one");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a list of services: {answer:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"notify.v1.Notify"), "{names:?}");
}
