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

#[tokio::test]
async fn a_group_commit_answers_every_send_in_it_as_if_each_were_alone() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let erin = env.add_user("erin", "send").await;
    let url = server.url().to_owned();
    let body = json!({"body": "grouped"});
    // Stored before: a repeat of one is a replay; another body under the other's key is a
    // 422. (Two keys: the replay and the reuse both take the transactional path once their
    // group committed, and two claims of one key at the same moment are rightly a 409.)
    let stored = Uuid::now_v7();
    let (status, first_answer) = post(&url, &erin, stored, &body).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let stored_too = Uuid::now_v7();
    let (status, _) = post(&url, &erin, stored_too, &body).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // In flight: another transaction holds its key's lock.
    let in_flight = Uuid::now_v7();
    let mut holder = env.write.begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(in_flight.as_u64_pair().1 as i64)
        .execute(&mut *holder)
        .await
        .expect("take the key's lock");
    // Every group's write waits for this lock: the sends below queue up behind the groups
    // under way and are written together once it is released.
    let mut blocker = env.write.begin().await.expect("begin");
    sqlx::query("LOCK TABLE outbox IN EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .expect("lock the outbox");

    let send = |key: Uuid, body: serde_json::Value| {
        let (url, erin) = (url.clone(), erin.clone());
        tokio::spawn(async move { post(&url, &erin, key, &body).await })
    };
    // Until `groups` groups' statements wait for the outbox (a fixed sleep was not always
    // enough when the machine was busy, and a send below then took a group's place).
    let wait_for_groups = |groups: i64| {
        let write = env.write.clone();
        async move {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'
                       AND query LIKE 'WITH input AS%'",
                )
                .fetch_one(&write)
                .await
                .expect("count the waiting groups");
                if waiting == groups {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{waiting} of {groups} groups wait for the outbox"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    // Two groups under way (the most at once), each blocked on the outbox: one send each, the
    // second sent once the first waits (sent together, they could share one group).
    let first = send(Uuid::now_v7(), body.clone());
    wait_for_groups(1).await;
    let second = send(Uuid::now_v7(), body.clone());
    wait_for_groups(2).await;
    let blocked = [first, second];
    let (fresh, twin) = (Uuid::now_v7(), Uuid::now_v7());
    let grouped = [
        ("fresh", send(fresh, body.clone())),
        ("another fresh", send(twin, json!({"body": "also new"}))),
        ("the same fresh key again", send(fresh, body.clone())),
        ("a replay", send(stored, body.clone())),
        ("a reused key", send(stored_too, json!({"body": "changed"}))),
        ("a key in flight", send(in_flight, body.clone())),
        (
            "an unknown recipient",
            send(Uuid::now_v7(), json!({"body": "x", "to": ["nobody"]})),
        ),
    ];
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        grouped.iter().all(|(_, send)| !send.is_finished()),
        "every send waits for its group"
    );
    blocker.rollback().await.expect("release the outbox");
    for send in blocked {
        assert_eq!(send.await.expect("send").0, StatusCode::ACCEPTED);
    }
    let mut answers = Vec::new();
    for (what, send) in grouped {
        answers.push((what, send.await.expect("send")));
    }
    holder.rollback().await.expect("release the key");

    let expect = |what: &str, status: StatusCode, problem: Option<&str>| {
        let (_, (got, answer)) = answers
            .iter()
            .find(|(name, _)| *name == what)
            .expect("asked");
        assert_eq!(*got, status, "{what}: {answer}");
        if let Some(problem) = problem {
            assert_eq!(answer["type"], problem, "{what}");
        }
        answer.clone()
    };
    let first = expect("fresh", StatusCode::ACCEPTED, None);
    assert_eq!(first["operation_id"], fresh.to_string());
    expect("another fresh", StatusCode::ACCEPTED, None);
    let again = expect("the same fresh key again", StatusCode::ACCEPTED, None);
    assert_eq!(
        again, first,
        "the second send of a key gets the first's answer"
    );
    let replay = expect("a replay", StatusCode::ACCEPTED, None);
    assert_eq!(replay, first_answer);
    expect(
        "a reused key",
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("urn:notify:problem:idempotency-key-reused"),
    );
    expect(
        "a key in flight",
        StatusCode::CONFLICT,
        Some("urn:notify:problem:idempotency-in-flight"),
    );
    expect(
        "an unknown recipient",
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("urn:notify:problem:unknown-recipient"),
    );
    // The two stored sends, the two blocked ones and the two fresh ones: two events each.
    assert_eq!(env.count("events").await, 12);
    assert_eq!(env.count("idempotency_keys").await, 6);
}

#[tokio::test]
async fn a_refused_send_retried_at_once_is_refused_the_same_way_never_409() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let erin = env.add_user("erin", "send").await;
    let key = Uuid::now_v7();
    // An unknown recipient is found inside the command's transaction, after the key's claim:
    // the refusal must end that transaction before it is answered, or a retry sent at once
    // finds the key still locked.
    let body = json!({"to": ["nobody"], "body": "hi"});
    for attempt in 0..REPEATS {
        let (status, answer) = post(server.url(), &erin, key, &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}: {answer}"
        );
    }
    assert_eq!(env.count("events").await, 0);
}
