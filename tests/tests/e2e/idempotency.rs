//! Idempotency keys: a retried send creates nothing new; a changed body or a request still in
//! flight is refused.

use notify_tests::TestEnv;
use notify_tests::api::Api;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

async fn post(
    url: &str,
    token: &str,
    key: Uuid,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    Api::new(url, token)
        .post_with_key("/v1/notifications", key, Some(body))
        .await
}

/// How many more times the retried send is repeated.
const REPEATS: usize = 50;

#[tokio::test]
async fn a_retried_send_returns_the_first_response_and_creates_no_second_event() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay").await;
    let mut tap = env.tap().await;
    let erin = env.add_user("erin", "send").await;
    let key = Uuid::now_v7();
    let body = json!({"body": "once", "tags": ["x"]});

    let (first_status, first) = post(server.url(), &erin, key, &body).await;
    assert_eq!(first_status, StatusCode::ACCEPTED);
    assert_eq!(
        first["operation_id"],
        key.to_string(),
        "the key is the operation id"
    );
    // The same request again, with its fields in another order.
    let (again_status, again) = post(
        server.url(),
        &erin,
        key,
        &json!({"tags": ["x"], "body": "once"}),
    )
    .await;
    assert_eq!(again_status, StatusCode::ACCEPTED);
    assert_eq!(again, first, "a repeat gets the first response");
    // Retried at once, again and again: each repeat is answered, never 409 (the repeat's
    // failed one-statement try must have released the key's lock before the fallback asks).
    for attempt in 0..REPEATS {
        let (status, answer) = post(server.url(), &erin, key, &body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "repeat {attempt}: {answer}");
        assert_eq!(answer, first, "repeat {attempt}");
    }

    assert_eq!(
        tap.exactly(2).await.len(),
        2,
        "one requested and one dispatched event, once"
    );
    assert_eq!(env.count("events").await, 2);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_changes_nothing() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let erin = env.add_user("erin", "send").await;
    let key = Uuid::now_v7();
    assert_eq!(
        post(server.url(), &erin, key, &json!({"body": "first"}))
            .await
            .0,
        StatusCode::ACCEPTED
    );

    let (status, problem) = post(server.url(), &erin, key, &json!({"body": "second"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["type"], "urn:notify:problem:idempotency-key-reused");
    assert_eq!(env.count("events").await, 2, "only the first send's events");
}

#[tokio::test]
async fn keys_are_per_principal() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let erin = env.add_user("erin", "send").await;
    let frank = env.add_user("frank", "send").await;
    let key = Uuid::now_v7();
    let body = json!({"body": "mine"});
    let (_, first) = post(server.url(), &erin, key, &body).await;

    let (status, problem) = post(server.url(), &frank, key, &body).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another principal never gets erin's response"
    );
    assert_ne!(problem, first);
    assert_eq!(env.count("events").await, 2);
}

#[tokio::test]
async fn a_key_still_in_flight_is_409_then_succeeds() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let erin = env.add_user("erin", "send").await;
    let key = Uuid::now_v7();
    let body = json!({"body": "slow"});

    // Hold the key's lock as an in-flight request's transaction does.
    let mut holder = env.write.begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key.as_u64_pair().1 as i64)
        .execute(&mut *holder)
        .await
        .expect("take the key's lock");
    let (status, problem) = post(server.url(), &erin, key, &body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["type"], "urn:notify:problem:idempotency-in-flight");
    assert_eq!(env.count("events").await, 0);

    holder.rollback().await.expect("release");
    assert_eq!(
        post(server.url(), &erin, key, &body).await.0,
        StatusCode::ACCEPTED
    );
    assert_eq!(env.count("events").await, 2);
}
