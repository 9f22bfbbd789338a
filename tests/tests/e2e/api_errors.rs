//! Every bad request gets its status and a problem document, and changes nothing.

use notify_tests::TestEnv;
use notify_tests::cli::{notify, run, stderr};
use reqwest::StatusCode;
use serde_json::json;

struct Case {
    name: &'static str,
    token: Option<String>,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
    status: StatusCode,
    problem: &'static str,
}

fn case(
    name: &'static str,
    token: &str,
    body: serde_json::Value,
    status: StatusCode,
    problem: &'static str,
) -> Case {
    Case {
        name,
        token: Some(token.into()),
        headers: vec![],
        body: body.to_string(),
        status,
        problem,
    }
}

#[tokio::test]
async fn each_bad_request_gets_its_status_and_changes_nothing() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let gina = env.add_user("gina", "send").await;
    let reader = env.add_user("hank", "inbox").await;

    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let cases = vec![
        Case {
            name: "no token",
            token: None,
            headers: vec![],
            body: json!({"body": "x"}).to_string(),
            status: StatusCode::UNAUTHORIZED,
            problem: "unauthorized",
        },
        case(
            "unknown token",
            "ntf_0123456789abcdef0123456789abcdef_nope",
            json!({"body": "x"}),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        case(
            "not a token",
            "hunter2",
            json!({"body": "x"}),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        case(
            "token without send scope",
            &reader,
            json!({"body": "x"}),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        Case {
            name: "malformed JSON",
            token: Some(gina.clone()),
            headers: vec![],
            body: "{\"body\": ".into(),
            status: StatusCode::BAD_REQUEST,
            problem: "malformed-json",
        },
        case(
            "unknown field",
            &gina,
            json!({"body": "x", "color": "red"}),
            StatusCode::BAD_REQUEST,
            "invalid-body",
        ),
        case(
            "invalid user id",
            &gina,
            json!({"body": "x", "to": ["Alice"]}),
            StatusCode::BAD_REQUEST,
            "invalid-body",
        ),
        case(
            "empty body",
            &gina,
            json!({"body": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        case(
            "title too long",
            &gina,
            json!({"body": "x", "title": "t".repeat(251)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        case(
            "too many tags",
            &gina,
            json!({"body": "x", "tags": vec!["t"; 11]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        case(
            "too many recipients",
            &gina,
            json!({"body": "x", "to": many}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        case(
            "body too long",
            &gina,
            json!({"body": "x".repeat(16 * 1024 + 1)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        case(
            "request too large",
            &gina,
            json!({"body": "x".repeat(70 * 1024)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
        ),
        case(
            "unknown recipient",
            &gina,
            json!({"body": "x", "to": ["gina", "nobody"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-recipient",
        ),
        Case {
            name: "bad idempotency key",
            token: Some(gina.clone()),
            headers: vec![("Idempotency-Key", "not-a-uuid")],
            body: json!({"body": "x"}).to_string(),
            status: StatusCode::BAD_REQUEST,
            problem: "bad-idempotency-key",
        },
    ];

    let http = reqwest::Client::new();
    for case in cases {
        let mut request = http
            .post(format!("{}/v1/notifications", server.url()))
            .header("Content-Type", "application/json")
            .body(case.body);
        if let Some(token) = &case.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in case.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("api answers");
        assert_eq!(response.status(), case.status, "{}", case.name);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{}",
            case.name
        );
        let problem: serde_json::Value = response.json().await.expect("problem JSON");
        assert_eq!(
            problem["type"],
            format!("urn:notify:problem:{}", case.problem),
            "{}: {problem}",
            case.name
        );
        assert_eq!(problem["status"], case.status.as_u16(), "{}", case.name);
    }
    // A command without a body still refuses a body declared as something else than JSON.
    for path in ["/v1/inbox/read-all", "/v1/notifications"] {
        let response = http
            .post(format!("{}{path}", server.url()))
            .bearer_auth(&gina)
            .header("Content-Type", "text/plain")
            .body("read them all")
            .send()
            .await
            .expect("api answers");
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{path}"
        );
        let problem: serde_json::Value = response.json().await.expect("problem JSON");
        assert_eq!(
            problem["type"], "urn:notify:problem:unsupported-media-type",
            "{path}: {problem}"
        );
    }
    for table in ["events", "outbox", "idempotency_keys"] {
        assert_eq!(env.count(table).await, 0, "{table} is untouched");
    }
}

#[tokio::test]
async fn unknown_routes_are_problem_documents_and_the_service_documents_itself() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let http = reqwest::Client::new();

    let missing = http
        .get(format!("{}/v1/nothing-here", server.url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );

    assert_eq!(
        http.get(format!("{}/healthz", server.url()))
            .send()
            .await
            .expect("answers")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        http.get(format!("{}/readyz", server.url()))
            .send()
            .await
            .expect("answers")
            .status(),
        StatusCode::OK
    );
    let openapi: serde_json::Value = http
        .get(format!("{}/v1/openapi.json", server.url()))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert!(
        openapi["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{openapi}"
    );
    assert!(
        openapi["paths"]["/v1/notifications"]["post"].is_object(),
        "send is documented"
    );
    assert!(
        openapi["components"]["schemas"]["SendRequest"].is_object(),
        "bodies are documented"
    );
    // OpenAPI requires every operation's id to be unique (validators and code generators
    // reject the document otherwise).
    let mut ids: Vec<(String, String)> = Vec::new();
    for (path, item) in openapi["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some((other, _)) = ids.iter().find(|(_, seen)| seen == id) {
                panic!("{method} {path} and {other} share the operationId {id:?}");
            }
            ids.push((format!("{method} {path}"), id.to_owned()));
        }
    }
}

#[tokio::test]
async fn cli_errors_say_what_to_do_and_use_the_documented_exit_codes() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let ivan = env.add_user("ivan", "send").await;

    let unknown = run(
        notify(server.url(), &ivan),
        &["send", "--to", "nobody", "hi"],
    )
    .await;
    assert_eq!(
        unknown.status.code(),
        Some(1),
        "the server refused the command: {}",
        stderr(&unknown)
    );
    assert!(
        stderr(&unknown).contains("nobody"),
        "names the unknown recipient: {}",
        stderr(&unknown)
    );

    let bad_token = run(
        notify(server.url(), "ntf_0123456789abcdef0123456789abcdef_nope"),
        &["send", "hi"],
    )
    .await;
    assert_eq!(
        bad_token.status.code(),
        Some(2),
        "a bad token is a config error: {}",
        stderr(&bad_token)
    );
    assert!(
        stderr(&bad_token).contains("NOTIFY_TOKEN"),
        "says where the token comes from: {}",
        stderr(&bad_token)
    );

    let too_long = run(
        notify(server.url(), &ivan),
        &["send", "--title", &"t".repeat(300), "hi"],
    )
    .await;
    assert_eq!(
        too_long.status.code(),
        Some(2),
        "checked before sending: {}",
        stderr(&too_long)
    );
    assert!(stderr(&too_long).contains("title"), "{}", stderr(&too_long));

    let bad_user = run(
        notify(server.url(), &ivan),
        &["send", "--to", "Bad User", "hi"],
    )
    .await;
    assert_eq!(bad_user.status.code(), Some(2), "{}", stderr(&bad_user));

    // Nothing listens on port 9 of loopback.
    let unreachable = run(notify("http://127.0.0.1:9", &ivan), &["send", "hi"]).await;
    assert_eq!(
        unreachable.status.code(),
        Some(3),
        "{}",
        stderr(&unreachable)
    );

    // Usage, not a failure: the token lacks the scope, or a cursor is not one.
    let no_scope = run(notify(server.url(), &ivan), &["list"]).await;
    assert_eq!(no_scope.status.code(), Some(2), "{}", stderr(&no_scope));
    assert!(stderr(&no_scope).contains("scope"), "{}", stderr(&no_scope));
    let judy = env.add_user("judy", "send,inbox").await;
    let bad_cursor = run(
        notify(server.url(), &judy),
        &["list", "--before", "garbage"],
    )
    .await;
    assert_eq!(bad_cursor.status.code(), Some(2), "{}", stderr(&bad_cursor));
    assert!(
        stderr(&bad_cursor).contains("--before") && !stderr(&bad_cursor).contains("versions"),
        "says what is wrong with the cursor: {}",
        stderr(&bad_cursor)
    );

    assert_eq!(env.count("events").await, 0, "no error sent anything");
    for output in [
        &unknown,
        &bad_token,
        &too_long,
        &bad_user,
        &unreachable,
        &no_scope,
        &bad_cursor,
    ] {
        assert!(
            !stderr(output).contains("panicked") && !stderr(output).contains("Backtrace"),
            "{}",
            stderr(output)
        );
        assert!(output.stdout.is_empty(), "errors print nothing on stdout");
    }
}

#[tokio::test]
async fn bad_paths_queries_and_heads_are_problem_documents() {
    let env = TestEnv::new().await;
    let server = env.start_server("api").await;
    let token = env.add_user("gina", "send,inbox").await;
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", server.url()))
            .bearer_auth(&token)
            .send()
    };
    for (path, status, problem) in [
        (
            "/v1/notifications/not-a-uuid".to_owned(),
            StatusCode::BAD_REQUEST,
            "urn:notify:problem:bad-path",
        ),
        (
            "/v1/operations/12345".to_owned(),
            StatusCode::BAD_REQUEST,
            "urn:notify:problem:bad-path",
        ),
        (
            "/v1/notifications?limit=many".to_owned(),
            StatusCode::BAD_REQUEST,
            "urn:notify:problem:bad-query",
        ),
        (
            "/v1/sent?status=lost".to_owned(),
            StatusCode::BAD_REQUEST,
            "urn:notify:problem:bad-query",
        ),
        // PostgreSQL text cannot hold a NUL: it was a 500.
        (
            "/v1/sent?address=a%00b".to_owned(),
            StatusCode::BAD_REQUEST,
            "urn:notify:problem:bad-query",
        ),
        (
            "/v1/notifications?q=%00".to_owned(),
            StatusCode::BAD_REQUEST,
            "urn:notify:problem:bad-query",
        ),
        (
            format!("/v1/notifications?q={}", "x".repeat(20 * 1024)),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "urn:notify:problem:request-header-fields-too-large",
        ),
    ] {
        let response = get(path.clone()).await.expect("answers");
        let shown: String = path.chars().take(60).collect();
        assert_eq!(response.status(), status, "{shown}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{shown}"
        );
        let body: serde_json::Value = response.json().await.expect("a problem document");
        assert_eq!(body["type"], problem, "{shown}: {body}");
    }
    let many = (0..80).fold(
        http.get(format!("{}/v1/me", server.url()))
            .bearer_auth(&token),
        |request, i| request.header(format!("x-filler-{i}"), "1"),
    );
    let response = many.send().await.expect("answers");
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_slow_or_idle_connection_is_closed_after_the_head_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let env = TestEnv::new().await;
    let server = env
        .start_server_with("api", &[("NOTIFY_SERVER_HEADER_TIMEOUT_MS", "500")])
        .await;
    let address = server.url().trim_start_matches("http://").to_owned();
    // Reads until the server closes the connection; how long that took.
    async fn closed_after(stream: &mut tokio::net::TcpStream) -> std::time::Duration {
        let started = std::time::Instant::now();
        let mut buffer = [0u8; 4096];
        let waited = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while stream.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
        })
        .await;
        assert!(waited.is_ok(), "the connection was still open after 10 s");
        started.elapsed()
    }

    // Half a request, never finished.
    let mut slow = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let held = closed_after(&mut slow).await;
    assert!(held < std::time::Duration::from_secs(3), "held {held:?}");

    // A finished request, then nothing: the kept-alive connection is closed too.
    let mut idle = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let held = closed_after(&mut idle).await;
    assert!(held < std::time::Duration::from_secs(3), "held {held:?}");
}
