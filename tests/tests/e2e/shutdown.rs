//! Stopping the server: SIGTERM ends every role cleanly, and says nothing alarming on the way.

use std::process::Stdio;
use std::time::Duration;

use notify_tests::TestEnv;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn sigterm_stops_every_role_without_an_error_or_a_warning() {
    let env = TestEnv::new().await;
    let mut child = env
        .server_command()
        .args([
            "serve",
            "--roles",
            "api,relay,projector,dispatcher,scheduler,email,webhook",
        ])
        .env("NOTIFY_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start notify-server");
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    // Every role holding a broker connection has it open: the relay, the projector, and the
    // dispatcher and both workers consuming.
    let mut connected = 0;
    while connected < 5 {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the roles connected within 30 s")
            .expect("read stderr")
            .expect("notify-server exited before its roles connected");
        if line.contains("relay connected")
            || line.contains("projector connected")
            || line.contains("consuming")
        {
            connected += 1;
        }
    }

    let pid = child.id().expect("running").to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill -TERM");
    let mut after = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            after.push(line);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("notify-server stopped within 20 s of SIGTERM");
    let status = child.wait().await.expect("wait");
    assert!(status.success(), "{status}: {after:#?}");
    let alarming: Vec<&String> = after
        .iter()
        .filter(|line| line.contains(" ERROR ") || line.contains(" WARN "))
        .collect();
    assert!(alarming.is_empty(), "a clean stop logs: {alarming:#?}");
    assert!(
        after.iter().any(|line| line.contains("shutting down")),
        "{after:#?}"
    );
}
