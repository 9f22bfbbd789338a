//! The api keeps its OpenAPI document's promises: a property-based API tester (schemathesis,
//! installed by `scripts/services`) sends generated requests, valid and not, to every operation
//! of a running api and checks every answer against the document: documented status codes,
//! content types, headers and bodies; no 5xx; invalid input refused; valid input accepted.

use std::path::PathBuf;
use std::process::Command;

use notify_tests::TestEnv;

/// Where `scripts/services` installs schemathesis's `st`.
fn schemathesis() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .expect("HOME is set");
    cache.join("notify/schemathesis/bin/st")
}

#[tokio::test]
async fn a_property_based_api_tester_finds_no_answer_the_document_does_not_promise() {
    let st = schemathesis();
    assert!(
        st.exists(),
        "{} is missing: scripts/services installs it",
        st.display()
    );
    let env = TestEnv::new().await;
    let server = env.start_server("api,relay,projector").await;
    let token = env.add_user("tess", "send,inbox").await;
    env.add_user("bob", "send,inbox").await;
    let url = server.url().to_owned();
    // schemathesis keeps a cache in its working directory: a fresh one each run.
    let work = std::env::temp_dir().join(format!("schemathesis-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&work).expect("a working directory");

    let cwd = work.clone();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(&st)
            .current_dir(cwd)
            .args([
                "--config-file",
                concat!(env!("CARGO_MANIFEST_DIR"), "/schemathesis.toml"),
            ])
            .args(["run", &format!("{url}/v1/openapi.json")])
            .args(["--url", &url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all"])
            // A send is accepted (202), not created: its notification is in the inbox once the
            // projector applied it, milliseconds later (the operation at `Location` says when).
            .args(["--exclude-checks", "ensure_resource_availability"])
            // The live stream answers for as long as the client listens: tested in stream.rs.
            .args(["--exclude-operation-id", "stream"])
            // Deterministic: the same cases every run, so a failure is reproducible.
            .args(["--generation-deterministic", "--seed", "1"])
            // One worker: in several threads, Python before 3.11.9 (this machine's is 3.11.7)
            // can fail Hypothesis's source parsing at random ("AST constructor recursion depth
            // mismatch", CPython gh-106905).
            .args(["--max-examples", "30", "--workers", "1"])
            .args(["--no-color", "--output-sanitize", "false"])
            .output()
            .expect("schemathesis runs")
    })
    .await
    .expect("joined");
    let _ = std::fs::remove_dir_all(&work);
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found answers the document does not promise:\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
