//! The inbox page at `/`, in Debian's Chromium (headless, through Playwright's library),
//! against the real system: live updates, marking read, a cut stream, other users, markup.

use std::time::{Duration, Instant};

use notify_tests::TestEnv;
use notify_tests::api::Api;
use notify_tests::browser::Browser;
use notify_tests::cli::{run, stderr, stdout};
use notify_tests::daemon::DaemonHome;
use notify_tests::desktop::Desktop;
use notify_tests::proxy::Proxy;
use notify_tests::server::Server;
use serde_json::{Value, json};

async fn server(env: &TestEnv) -> Server {
    env.start_server_with(
        "api,relay,projector,dispatcher",
        &[("NOTIFY_SERVER_DELIVERY__SWEEP_MS", "100")],
    )
    .await
}

/// Signs `name`'s page in with `token` and waits until it is live.
async fn sign_in(browser: &mut Browser, name: &str, token: &str) {
    browser
        .run(json!({"op": "fill", "name": name, "selector": "#token", "text": token}))
        .await;
    browser
        .run(json!({"op": "click", "name": name, "selector": "#signin-form button"}))
        .await;
    live(browser, name).await;
}

async fn live(browser: &mut Browser, name: &str) {
    let live = browser
        .wait(
            name,
            "return document.querySelector('#live.on') !== null",
            Value::Null,
            10_000,
        )
        .await;
    assert!(live.is_ok(), "the page went live: {live:?}");
}

/// The ids listed on `name`'s page, top to bottom.
async fn listed(browser: &mut Browser, name: &str) -> Vec<String> {
    let ids = browser
        .eval(
            name,
            "return [...document.querySelectorAll('li.item')].map(li => li.dataset.id)",
            Value::Null,
        )
        .await;
    serde_json::from_value(ids).expect("ids")
}

/// Waits until `id` is listed on `name`'s page; how long that took.
async fn wait_listed(browser: &mut Browser, name: &str, id: &str, timeout_ms: u64) -> Duration {
    let started = Instant::now();
    let shown = browser
        .wait(
            name,
            "return document.querySelector(`li.item[data-id=\"${arg}\"]`) !== null",
            json!(id),
            timeout_ms,
        )
        .await;
    assert!(
        shown.is_ok(),
        "{id} shown within {timeout_ms} ms: {shown:?}"
    );
    started.elapsed()
}

/// What went wrong on `name`'s page (CSP violations, script errors, console errors) but the
/// browser's own note of each refused or cut request, which the tests cause on purpose.
async fn alarming(browser: &mut Browser, name: &str) -> Vec<String> {
    browser
        .problems(name)
        .await
        .into_iter()
        .filter(|p| !p.starts_with("console: Failed to load resource"))
        .collect()
}

/// Sends with the CLI as `token`'s user; the notification id.
async fn send(home: &DaemonHome, server: &str, token: &str, args: &[&str]) -> String {
    let mut all = vec!["--json", "send"];
    all.extend_from_slice(args);
    let output = run(home.notify(server, token), &all).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let answer: Value = serde_json::from_str(&stdout(&output)).expect("--json");
    answer["notifications"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

#[tokio::test]
async fn the_inbox_page_shows_what_arrives_live_and_resumes_after_a_cut() {
    let env = TestEnv::new().await;
    let server = server(&env).await;
    let alice = env.add_user("alice", "send,inbox").await;
    let bob = env.add_user("bob", "send,inbox").await;
    let desktop = Desktop::start().await;
    let home = DaemonHome::new();
    let _daemon = home.start(server.url(), &alice, &desktop).await;
    let address = server.url().trim_start_matches("http://").to_owned();
    let mut proxy = Proxy::start(&address).await;
    let page_url = format!("http://{}/", proxy.address);

    // The page itself: no third party, no inline script, no framing.
    let response = reqwest::get(&page_url).await.expect("GET /");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    let mut browser = Browser::start().await;
    browser.open("alice", &page_url).await;
    // A wrong token is refused on the sign-in form, and nothing is kept.
    browser
        .run(json!({"op": "fill", "name": "alice", "selector": "#token", "text": "ntf_nope"}))
        .await;
    browser
        .run(json!({"op": "click", "name": "alice", "selector": "#signin-form button"}))
        .await;
    let refused = browser
        .wait(
            "alice",
            "const e = document.querySelector('#signin-error'); return !e.hidden && e.textContent",
            Value::Null,
            5_000,
        )
        .await;
    assert!(refused.is_ok_and(|t| t.as_str().is_some_and(|t| t.contains("not valid"))));
    sign_in(&mut browser, "alice", &alice).await;
    let kept = browser
        .eval(
            "alice",
            "return [location.href, JSON.stringify(localStorage), document.cookie]",
            Value::Null,
        )
        .await;
    assert_eq!(
        kept,
        json!([page_url, "{}", ""]),
        "the token is in no URL, cookie or lasting storage"
    );

    // A send from the CLI appears within a second, without reloading.
    let first = send(
        &home,
        server.url(),
        &bob,
        &["--to", "alice", "--title", "Deploy finished", "api is live"],
    )
    .await;
    let took = wait_listed(&mut browser, "alice", &first, 1_000).await;
    println!("shown {} ms after `notify send` returned", took.as_millis());
    let title = browser
        .wait(
            "alice",
            "return document.title.startsWith('(1)') && document.title",
            Value::Null,
            5_000,
        )
        .await;
    assert!(
        title.is_ok(),
        "the unread count in the tab title: {title:?}"
    );
    desktop.wait_displayed(1).await;

    // Other people's text is shown as text.
    let markup = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>";
    let second = send(
        &home,
        server.url(),
        &bob,
        &[
            "--to",
            "alice",
            "--title",
            markup,
            "<script>alert(1)</script>",
        ],
    )
    .await;
    wait_listed(&mut browser, "alice", &second, 5_000).await;
    let shown = browser
        .eval(
            "alice",
            "const li = document.querySelector(`li.item[data-id=\"${arg}\"]`);
             return [li.querySelector('.title').textContent, li.querySelector('.excerpt').textContent,
                     document.querySelectorAll('#list img, #list b, #list script').length]",
            json!(second),
        )
        .await;
    assert_eq!(shown, json!([markup, "<script>alert(1)</script>", 0]));

    // Marked read on the page: `notify count` goes down and the desktop popup closes.
    desktop.close_all().await;
    let third = send(
        &home,
        server.url(),
        &bob,
        &["--to", "alice", "read me on the page"],
    )
    .await;
    wait_listed(&mut browser, "alice", &third, 5_000).await;
    desktop.wait_displayed(1).await;
    browser
        .run(json!({"op": "click", "name": "alice", "selector": format!("li.item[data-id=\"{third}\"] button")}))
        .await;
    browser
        .wait("alice", "return !document.querySelector('#detail').hidden && document.querySelector('#toggle-read').textContent === 'Mark read'", Value::Null, 5_000)
        .await
        .expect("the detail opens");
    let channels = browser
        .wait("alice", "const rows = document.querySelectorAll('#detail-deliveries tr'); return rows.length > 0 && [...rows].map(r => r.textContent)", Value::Null, 5_000)
        .await
        .expect("its channels");
    assert!(channels.to_string().contains("desktop"), "{channels}");
    browser
        .run(json!({"op": "click", "name": "alice", "selector": "#toggle-read"}))
        .await;
    browser
        .wait(
            "alice",
            "return !document.querySelector(`li.item[data-id=\"${arg}\"]`).classList.contains('unread')",
            json!(third),
            5_000,
        )
        .await
        .expect("shown read once the stream says so");
    let count = run(home.notify(server.url(), &alice), &["count"]).await;
    assert_eq!(stdout(&count).trim(), "2", "{}", stderr(&count));
    let mut closed = false;
    for _ in 0..100 {
        if desktop.displayed().await == 0 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "the popup closed when the page marked it read");
    browser
        .run(json!({"op": "press", "name": "alice", "key": "Escape"}))
        .await;

    // Another user's page sees none of it.
    browser.open("bob", &page_url).await;
    sign_in(&mut browser, "bob", &bob).await;
    browser
        .wait(
            "bob",
            "return document.querySelector('#empty').hidden === false",
            Value::Null,
            5_000,
        )
        .await
        .expect("bob's inbox is empty");

    // The stream is cut; what arrives meanwhile shows once the page is back, each once.
    let problems = alarming(&mut browser, "alice").await;
    assert!(problems.is_empty(), "{problems:#?}");
    proxy.cut();
    browser
        .wait(
            "alice",
            "return !document.querySelector('#live').classList.contains('on')",
            Value::Null,
            5_000,
        )
        .await
        .expect("the page sees the cut");
    let mut during = Vec::new();
    for i in 0..3 {
        during.push(
            send(
                &home,
                server.url(),
                &bob,
                &["--to", "alice", &format!("while away {i}")],
            )
            .await,
        );
    }
    proxy.restore().await;
    for id in &during {
        wait_listed(&mut browser, "alice", id, 15_000).await;
    }
    let mut after = listed(&mut browser, "alice").await;
    let mut expected: Vec<String> = [first, second, third].into_iter().chain(during).collect();
    after.sort();
    expected.sort();
    assert_eq!(after, expected, "every notification once, none twice");
    assert!(
        listed(&mut browser, "bob").await.is_empty(),
        "bob still sees none of alice's"
    );

    let screenshot = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/artifacts/inbox.png");
    std::fs::create_dir_all(std::path::Path::new(screenshot).parent().expect("dir"))
        .expect("artifacts");
    browser
        .run(json!({"op": "screenshot", "name": "alice", "path": screenshot}))
        .await;
    let problems = alarming(&mut browser, "alice").await;
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn the_inbox_page_searches_filters_scrolls_and_fits_a_phone() {
    let env = TestEnv::new().await;
    let server = server(&env).await;
    let alice = env.add_user("alice", "send,inbox").await;
    let bob = Api::new(server.url(), &env.add_user("bob", "send").await);
    let mut ids = Vec::new();
    for i in 0..60 {
        let title = if i % 20 == 0 {
            format!("Deploy {i}")
        } else {
            format!("Note {i}")
        };
        ids.extend(
            bob.send(
                &["alice"],
                &format!("body {i}"),
                json!({"title": title, "tags": ["t"]}),
            )
            .await,
        );
    }
    let alice_api = Api::new(server.url(), &alice);
    alice_api
        .wait_for("/v1/inbox/count", "all 60 projected", |c| c["unread"] == 60)
        .await;

    let mut browser = Browser::start().await;
    browser.open("alice", &format!("{}/", server.url())).await;
    sign_in(&mut browser, "alice", &alice).await;
    browser
        .wait(
            "alice",
            "return document.querySelectorAll('li.item').length === 50",
            Value::Null,
            5_000,
        )
        .await
        .expect("the first page");
    let newest = listed(&mut browser, "alice").await;
    assert_eq!(newest[0], ids[59].to_string(), "newest first");
    // Scrolling to the end loads the rest.
    browser
        .eval(
            "alice",
            "document.querySelector('#more').scrollIntoView(); return true",
            Value::Null,
        )
        .await;
    browser
        .wait(
            "alice",
            "return document.querySelectorAll('li.item').length === 60",
            Value::Null,
            5_000,
        )
        .await
        .expect("the next page on scrolling");

    // Search, from the keyboard: "/" goes to the search box.
    browser
        .run(json!({"op": "press", "name": "alice", "key": "/"}))
        .await;
    browser
        .run(json!({"op": "fill", "name": "alice", "selector": "#search", "text": "deploy"}))
        .await;
    browser
        .wait(
            "alice",
            "return document.querySelectorAll('li.item').length === 3",
            Value::Null,
            5_000,
        )
        .await
        .expect("three deploys");
    browser
        .run(json!({"op": "fill", "name": "alice", "selector": "#search", "text": ""}))
        .await;
    // All read, then the unread filter shows none; the tab title has no count.
    browser
        .run(json!({"op": "click", "name": "alice", "selector": "#read-all"}))
        .await;
    browser
        .wait("alice", "return document.title === 'Inbox · notify' && document.querySelectorAll('li.item.unread').length === 0", Value::Null, 10_000)
        .await
        .expect("all read");
    browser
        .run(json!({"op": "click", "name": "alice", "selector": "#only-unread"}))
        .await;
    browser
        .wait("alice", "return document.querySelectorAll('li.item').length === 0 && !document.querySelector('#empty').hidden", Value::Null, 5_000)
        .await
        .expect("no unread");

    // 320 px wide: nothing sticks out sideways.
    browser
        .run(json!({"op": "resize", "name": "alice", "width": 320, "height": 640}))
        .await;
    browser
        .run(json!({"op": "click", "name": "alice", "selector": "#only-unread"}))
        .await;
    browser
        .wait(
            "alice",
            "return document.querySelectorAll('li.item').length >= 50",
            Value::Null,
            5_000,
        )
        .await
        .expect("the list again");
    let width = browser
        .eval(
            "alice",
            "return document.documentElement.scrollWidth",
            Value::Null,
        )
        .await;
    assert!(width.as_u64().is_some_and(|w| w <= 320), "{width} px wide");
    let problems = alarming(&mut browser, "alice").await;
    assert!(problems.is_empty(), "{problems:#?}");
}
