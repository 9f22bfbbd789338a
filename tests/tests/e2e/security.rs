//! Nobody let in: every route refuses a missing token, a missing scope and another user's
//! ids; tokens are stored only as hashes; one user's flood is rate-limited without touching
//! anyone else; deleting a user cuts them off everywhere at once.
//!
//! Other parts of the security suite live next to what they test: broker permissions
//! (`devices`), the local socket (`daemon`, and notifyd's socket tests), config file modes
//! (`cli_config`), markup and control characters in popups (`daemon`), CRLF in e-mail headers
//! and webhook SSRF (`delivery`), idempotency keys per user (`idempotency`), oversized
//! requests (`api_errors`).

use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::api::Api;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Routes anyone may call.
const PUBLIC: &[&str] = &["/healthz", "/readyz", "/v1/openapi.json"];

/// One request of the matrix: status and body.
async fn call(url: &str, method: &Method, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let http = reqwest::Client::new();
    let mut request = http
        .request(method.clone(), format!("{url}{path}"))
        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    // A valid body for every route that takes one, so only authorization can refuse it.
    let body = match (method.as_str(), path) {
        ("POST", "/v1/notifications") => Some(json!({"body": "hi", "to": ["bob"]})),
        ("PUT", "/v1/preferences") => Some(json!({"channels": ["desktop"]})),
        ("POST", "/v1/devices") => Some(json!({"name": "laptop"})),
        ("POST", p) if p.ends_with("/receipt") => Some(json!({"device": "laptop"})),
        _ => None,
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    let mut response = request.send().await.expect("request");
    let status = response.status();
    let streamed = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    if streamed {
        // The live stream never ends: what it says in its first half second.
        let mut said = String::new();
        let read = async {
            while let Ok(Some(chunk)) = response.chunk().await {
                said.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), read).await;
        return (status, Value::String(said));
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_route_refuses_no_token_a_missing_scope_and_another_users_ids() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector,dispatcher").await;
    let url = server.url();
    let alice = env.add_user("alice", "send,inbox").await;
    let bob_token = env.add_user("bob", "send,inbox").await;
    let admin_only = env.add_user("root-ish", "admin").await;
    let bob = Api::new(url, &bob_token);
    let (operation, ids) = bob
        .send_operation(&["bob"], "bob's secret", json!({"channels": ["desktop"]}))
        .await;
    // The dispatch (and with it the unread count) is projected before the delivery request.
    let shown = bob
        .wait_for(
            &format!("/v1/notifications/{}", ids[0]),
            "bob's desktop delivery",
            |n| n["deliveries"].as_array().is_some_and(|d| !d.is_empty()),
        )
        .await;
    let delivery = shown["deliveries"][0]["id"]
        .as_str()
        .expect("delivery id")
        .to_owned();

    let (status, document) = call(url, &Method::GET, "/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = document["paths"].as_object().expect("paths");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (template, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let method: Method = method.to_uppercase().parse().expect("method");
            let path = template
                .replace(
                    "{id}",
                    &if template.starts_with("/v1/operations") {
                        operation.to_string()
                    } else if template.starts_with("/v1/deliveries") {
                        delivery.to_string()
                    } else {
                        ids[0].to_string()
                    },
                )
                .replace("{name}", "bobs-laptop");
            if PUBLIC.contains(&template.as_str()) {
                continue;
            }
            checked += 1;
            let (status, _) = call(url, &method, &path, None).await;
            if status != StatusCode::UNAUTHORIZED {
                wrong.push(format!("{method} {path} without a token: {status}"));
            }
            let (status, _) = call(url, &method, &path, Some("ntf_bogus_token")).await;
            if status != StatusCode::UNAUTHORIZED {
                wrong.push(format!("{method} {path} with a bad token: {status}"));
            }
            // A token without send or inbox may only ask who it is.
            let (status, _) = call(url, &method, &path, Some(&admin_only)).await;
            let expected = match template.as_str() {
                "/v1/me" => StatusCode::OK,
                // The audit across users, and the metrics, are what an admin token is for.
                "/v1/sent" | "/metrics" => StatusCode::OK,
                // Operations are per principal: another's is not found, whatever the scope.
                "/v1/operations/{id}" => StatusCode::NOT_FOUND,
                _ => StatusCode::FORBIDDEN,
            };
            if status != expected {
                wrong.push(format!(
                    "{method} {path} without the scope: {status}, not {expected}"
                ));
            }
            // Another user's ids are never found (404, never 403: existence does not leak).
            if template.contains('{') {
                let (status, _) = call(url, &method, &path, Some(&alice)).await;
                if status != StatusCode::NOT_FOUND {
                    wrong.push(format!("{method} {path} as alice: {status}"));
                }
            }
        }
    }
    // The sender/recipient split: on no route does bob, as the sender of a notification to
    // carol, learn where carol receives it; carol, on hers, does.
    const CAROLS: &str = "carol-private@example.com";
    let carol = Api::new(url, &env.add_user("carol", "send,inbox").await);
    carol
        .set_preferences(json!({"channels": ["email"], "email": CAROLS}))
        .await;
    let to_carol = bob.send(&["carol"], "for carol", json!({})).await[0].to_string();
    carol
        .wait_for(
            &format!("/v1/notifications/{to_carol}"),
            "carol's e-mail delivery",
            |n| n["deliveries"].as_array().is_some_and(|d| !d.is_empty()),
        )
        .await;
    let mut reads = 0;
    for (template, operations) in paths {
        if PUBLIC.contains(&template.as_str()) || operations.get("get").is_none() {
            continue;
        }
        reads += 1;
        let path = template.replace("{id}", &to_carol);
        let (_, answer) = call(url, &Method::GET, &path, Some(&bob_token)).await;
        if answer.to_string().contains(CAROLS) {
            wrong.push(format!(
                "GET {path} as the sender shows the recipient's address"
            ));
        }
    }
    let (_, hers) = carol.get(&format!("/v1/notifications/{to_carol}")).await;
    assert!(
        hers.to_string().contains(CAROLS),
        "the recipient sees it: {hers}"
    );
    assert!(reads >= 8, "the document lists every read route ({reads})");
    assert!(checked >= 15, "the document lists every route ({checked})");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing of bob's changed: still unread, his one notification.
    let (_, count) = bob.get("/v1/inbox/count").await;
    assert_eq!(count["unread"], 1);
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("hana", "send,inbox").await;
    let api = Api::new(server.url(), &token);
    api.send(&["hana"], "hello", json!({})).await;
    api.wait_for("/v1/inbox/count", "projected", |c| c["unread"] == 1)
        .await;
    // `ntf_<id>_<secret>`; the secret is base64url and may hold `_` itself.
    let secret = token.splitn(3, '_').nth(2).expect("ntf_<id>_<secret>");
    assert!(secret.len() >= 20, "{token}");

    for (name, url) in [("write", &env.write_url), ("read", &env.read_url)] {
        let pool = sqlx::PgPool::connect(url).await.expect("connect");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        assert!(!tables.is_empty());
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT to_jsonb(t)::text FROM \"{table}\" t"))
                    .fetch_all(&pool)
                    .await
                    .expect("rows");
            for row in rows {
                assert!(
                    !row.contains(secret) && !row.contains(&token),
                    "the {name} DB's {table} holds the token: {row}"
                );
            }
        }
        pool.close().await;
    }
}

#[tokio::test]
async fn one_users_flood_is_429_with_retry_after_and_others_are_served() {
    let env = TestEnv::new().await;
    let server = env
        .start_server_with(
            // The projector makes the read model the unread count is read from.
            "api,projector",
            &[
                ("NOTIFY_SERVER_RATE_LIMIT__PER_SECOND", "1"),
                ("NOTIFY_SERVER_RATE_LIMIT__BURST", "5"),
            ],
        )
        .await;
    let flooder = env.add_user("flood", "send,inbox").await;
    let calm = env.add_user("calm", "send,inbox").await;
    Api::new(server.url(), &calm)
        .wait_for("/v1/inbox/count", "the read model is ready", |_| true)
        .await;
    let http = reqwest::Client::new();
    let mut limited = None;
    for _ in 0..10 {
        let response = http
            .get(format!("{}/v1/me", server.url()))
            .bearer_auth(&flooder)
            .send()
            .await
            .expect("request");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the flood is limited within 10 requests");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let problem: Value = limited.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:notify:problem:rate-limited");

    // A send while limited changes nothing.
    let (status, _) = Api::new(server.url(), &flooder)
        .post(
            "/v1/notifications",
            Some(&json!({"body": "more", "to": ["flood"]})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(env.count("events").await, 0);

    let (status, me) = Api::new(server.url(), &calm).get("/v1/me").await;
    assert_eq!(status, StatusCode::OK, "others are unaffected: {me}");

    // notifyd's upkeep is not limited: the unread count is served while the user is limited.
    for _ in 0..10 {
        let (status, _) = Api::new(server.url(), &flooder)
            .get("/v1/inbox/count")
            .await;
        assert_eq!(status, StatusCode::OK, "the unread count is upkeep");
    }

    // The bucket refills, and the upkeep above took nothing from it.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _) = Api::new(server.url(), &flooder).get("/v1/me").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_user_revokes_their_tokens_and_closes_their_broker_connections() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay").await;
    let token = env.add_user("gone", "send,inbox").await;
    let api = Api::new(server.url(), &token);
    let (status, credentials) = api
        .post("/v1/devices", Some(&json!({"name": "laptop"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{credentials}");
    let url = credentials["broker_url"]
        .as_str()
        .expect("broker url")
        .replacen(
            "amqp://",
            &format!(
                "amqp://{}:{}@",
                credentials["username"].as_str().expect("user"),
                credentials["password"].as_str().expect("password")
            ),
            1,
        );
    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .expect("the device logs in");
    assert!(connection.status().connected());

    let output = env
        .server_command()
        .args(["users", "delete", "gone"])
        .output()
        .await
        .expect("users delete");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("1 device(s) removed"), "{said}");

    let mut closed = false;
    for _ in 0..100 {
        if !connection.status().connected() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "the device's connection was closed");
    let again = lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await;
    assert!(again.is_err(), "the account cannot log in again");
    let (status, _) = api.get("/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token is revoked");

    let output = env
        .server_command()
        .args(["users", "delete", "gone"])
        .output()
        .await
        .expect("users delete again");
    assert!(
        !output.status.success(),
        "a second delete says there is no such user"
    );
}

#[tokio::test]
async fn a_new_user_of_a_deleted_users_name_starts_empty() {
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector,dispatcher").await;
    let bob = Api::new(server.url(), &env.add_user("bob", "send,inbox").await);
    let old = Api::new(server.url(), &env.add_user("tmp", "send,inbox").await);
    old.set_preferences(json!({"channels": ["email"], "email": "old-tmp@example.com"}))
        .await;
    bob.send(&["tmp"], "for the old tmp", json!({})).await;
    old.send(&["bob"], "from the old tmp", json!({})).await;
    old.wait_for("/v1/inbox/count", "the old tmp's inbox", |c| {
        c["unread"] == 1
    })
    .await;
    old.wait_for("/v1/sent", "the old tmp's send", |page| {
        page["items"]
            .as_array()
            .is_some_and(|items| items.len() == 1)
    })
    .await;

    let output = env
        .server_command()
        .args(["users", "delete", "tmp"])
        .output()
        .await
        .expect("users delete");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(env.count_events("user.deleted", None).await, 1);
    let new = Api::new(server.url(), &env.add_user("tmp", "send,inbox").await);
    // The deletion reaches the read model through the projector.
    new.wait_for("/v1/inbox/count", "an empty inbox", |c| c["unread"] == 0)
        .await;
    let (_, inbox) = new.get("/v1/notifications").await;
    assert_eq!(inbox["items"], json!([]), "{inbox}");
    let (_, sent) = new.get("/v1/sent").await;
    assert_eq!(sent["items"], json!([]), "{sent}");
    let (_, preferences) = new.get("/v1/preferences").await;
    assert!(
        preferences["email"].is_null(),
        "the old e-mail address: {preferences}"
    );
    // What bob received from the old tmp is still bob's; what the new tmp gets is hers.
    let (_, bobs) = bob.get("/v1/notifications").await;
    assert_eq!(bobs["items"].as_array().map(Vec::len), Some(1), "{bobs}");
    bob.send(&["tmp"], "for the new tmp", json!({})).await;
    let page = new
        .wait_for("/v1/notifications", "the new tmp's first", |page| {
            page["items"]
                .as_array()
                .is_some_and(|items| items.len() == 1)
        })
        .await;
    assert_eq!(page["items"][0]["body"], "for the new tmp");
}
