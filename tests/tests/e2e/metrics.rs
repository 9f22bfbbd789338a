//! Prometheus metrics, scraped from a running server after a few sends: the api's `/metrics`
//! (admin tokens only) and the process's own `metrics_listen` (no token), with the names,
//! types and values an operator's alerts rely on.

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::smtp::free_port;
use notify_tests::webhook::Receiver;
use reqwest::StatusCode;
use serde_json::json;

/// The value of the sample `name{labels}` (labels in any order), if the page has it.
fn sample(page: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let rest = series.strip_prefix(name)?;
            let matches = if labels.is_empty() {
                rest.is_empty()
            } else {
                rest.starts_with('{')
                    && labels
                        .iter()
                        .all(|(key, value)| rest.contains(&format!("{key}=\"{value}\"")))
            };
            matches.then(|| value.parse().ok()).flatten()
        })
}

/// Whether the page declares `name` with `kind` (`counter`, `gauge`, `histogram`).
fn declares(page: &str, name: &str, kind: &str) -> bool {
    page.lines()
        .any(|line| line == format!("# TYPE {name} {kind}"))
}

#[tokio::test]
async fn a_scrape_after_three_sends_counts_them_at_every_step() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(200).await;
    let metrics_port = free_port();
    let listen = format!("127.0.0.1:{metrics_port}");
    let server = env
        .start_server_with(
            "api,relay,projector,dispatcher,webhook",
            &[
                ("NOTIFY_SERVER_WEBHOOK__ALLOW_PRIVATE", "true"),
                ("NOTIFY_SERVER_METRICS_LISTEN", &listen),
            ],
        )
        .await;
    let alice = Api::new(server.url(), &env.add_user("alice", "send,inbox").await);
    let admin = Api::new(server.url(), &env.add_user("root", "admin").await);
    alice
        .set_preferences(json!({"channels": ["webhook"], "webhook_url": receiver.url}))
        .await;
    for n in 0..3 {
        let (operation, _) = alice
            .send_operation(&["alice"], &format!("deploy {n}"), json!({}))
            .await;
        alice.wait_operation(&operation, "delivered").await;
    }

    // The api's page is for admins: it tells how busy the service is.
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", server.url());
    let anonymous = http.get(&url).send().await.expect("scrape");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(alice.get("/metrics").await.0, StatusCode::FORBIDDEN);
    let scraped = http
        .get(&url)
        .bearer_auth(admin.token())
        .send()
        .await
        .expect("scrape");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        scraped.headers()
    );
    let page = scraped.text().await.expect("page");

    // The same page on the process's own listener, without a token.
    let own = http
        .get(format!("http://{listen}/metrics"))
        .send()
        .await
        .expect("scrape the metrics listener");
    assert_eq!(own.status(), StatusCode::OK);
    let own = own.text().await.expect("page");
    assert!(own.contains("# TYPE notify_events_total counter"), "{own}");

    for (name, kind) in [
        ("notify_api_requests_total", "counter"),
        ("notify_api_request_duration_seconds", "histogram"),
        ("notify_events_total", "counter"),
        ("notify_deliveries_total", "counter"),
        ("notify_relay_confirm_duration_seconds", "histogram"),
        ("notify_consumer_events_total", "counter"),
        ("notify_consumer_batch_size", "histogram"),
        ("notify_consumer_handling_duration_seconds", "histogram"),
        ("notify_projector_lag_seconds", "histogram"),
        ("notify_outbox_depth", "gauge"),
        ("notify_outbox_oldest_age_seconds", "gauge"),
    ] {
        assert!(declares(&page, name, kind), "no {kind} {name} in:\n{page}");
    }
    let sends = [
        ("route", "/v1/notifications"),
        ("method", "POST"),
        ("status", "202"),
    ];
    assert_eq!(
        sample(&page, "notify_api_requests_total", &sends),
        Some(3.0),
        "{page}"
    );
    let preferences = [("route", "/v1/preferences"), ("method", "PUT")];
    assert_eq!(
        sample(
            &page,
            "notify_api_request_duration_seconds_count",
            &preferences
        ),
        Some(1.0),
        "{page}"
    );
    for kind in [
        "notification.requested",
        "notification.dispatched",
        "notification.delivered",
    ] {
        assert_eq!(
            sample(&page, "notify_events_total", &[("kind", kind)]),
            Some(3.0),
            "{kind}: {page}"
        );
    }
    let webhook = |step| [("channel", "webhook"), ("step", step)];
    assert_eq!(
        sample(&page, "notify_deliveries_total", &webhook("requested")),
        Some(3.0)
    );
    assert_eq!(
        sample(&page, "notify_deliveries_total", &webhook("succeeded")),
        Some(3.0)
    );
    assert_eq!(
        sample(&page, "notify_deliveries_total", &webhook("failed")),
        None
    );
    // Three requests, three dispatches, three delivery requests, three outcomes, three ends.
    let projected = sample(
        &page,
        "notify_consumer_events_total",
        &[("queue", "notify.projector")],
    );
    assert!(projected.is_some_and(|n| n >= 15.0), "{page}");
    let lags = sample(&page, "notify_projector_lag_seconds_count", &[]);
    assert!(lags.is_some_and(|n| n >= 15.0), "{page}");
    assert!(
        sample(&page, "notify_outbox_depth", &[]).is_some(),
        "{page}"
    );

    // promtool, when the machine has it, accepts the page.
    if let Ok(mut check) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        check
            .stdin
            .take()
            .expect("stdin")
            .write_all(page.as_bytes())
            .expect("write");
        let out = check.wait_with_output().expect("promtool");
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
