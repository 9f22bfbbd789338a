//! notifyd killed with SIGKILL while it holds unacked deliveries, and its broker connection
//! silenced (no FIN, no RST: every packet dropped) until heartbeats give it up.

use std::collections::HashMap;
use std::time::Duration;

use notify_tests::TestEnv;
use notify_tests::checker::{Checker, Effect, Outcome};
use notify_tests::daemon::DaemonHome;
use notify_tests::desktop::Desktop;
use notify_tests::outage::Restore;
use notify_tests::proxy::Proxy;

use crate::rig::{ONE_EACH, Rig};

#[tokio::test]
async fn notifyd_killed_and_its_connection_silenced() {
    let _restore = Restore;
    let env = TestEnv::new().await;
    let proxy = Proxy::start("127.0.0.1:5672").await;
    let public = format!("amqp://127.0.0.1:{}/{}", proxy.address.port(), env.name);
    let mut rig = Rig::start_with(
        env,
        ONE_EACH,
        &[("NOTIFY_SERVER_DEVICES__PUBLIC_URL", &public)],
    )
    .await;
    let token = rig.desktop_user("d0").await;
    let desktop = Desktop::start().await;
    let mut home = DaemonHome::new();
    home.env.push(("NOTIFYD_HEARTBEAT_S".into(), "2".into()));
    let api = rig.fleet.api_urls()[0].clone();
    let mut daemon = home.start(&api, &token, &desktop).await;

    let mut checker = Checker::new(
        rig.fleet.api_urls(),
        vec![("d0".into(), token.clone())],
        &["desktop"],
    );
    let faults = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        daemon.kill9().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        daemon = home.start(&api, &token, &desktop).await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        proxy.silence_open_connections();
        // The daemon hears nothing for two heartbeats, gives the connection up and makes a new
        // one; the broker does the same on its side and requeues what was unacked.
        daemon.wait_log("consuming").await;
    };
    // Four a second: below the burst threshold, so each notification gets its own popup
    // except the backlogs after the restart and the reconnection, which become summaries.
    tokio::join!(checker.stream(100, 4), faults);
    let mut report = rig
        .finish(
            "notifyd killed, connection silenced",
            "SIGKILL while holding deliveries; every packet of its broker connection dropped",
            &checker,
        )
        .await;
    // Classified again with the popups: each notification at most once on screen.
    desktop.close_all().await;
    let by_body: HashMap<String, uuid::Uuid> = checker
        .sends
        .iter()
        .filter_map(|send| match &send.outcome {
            Outcome::Accepted(ids) => Some((send.body.clone(), ids[0])),
            _ => None,
        })
        .collect();
    let shown = desktop.popups().await;
    let popups: Vec<Effect> = shown
        .iter()
        // Without a title the message is the popup's summary.
        .filter_map(|popup| by_body.get(&popup.body).or(by_body.get(&popup.summary)))
        .map(|id| Effect {
            channel: "desktop",
            notification: *id,
            delivery: None,
        })
        .collect();
    assert!(
        !popups.is_empty(),
        "popups of the stream were shown: {:?}",
        &shown[..shown.len().min(5)]
    );
    let faults = report.faults.clone();
    report = checker
        .classify(&report.scenario, &rig.env.write, &rig.read, &popups)
        .await;
    report.faults = format!("{faults} ({} popups)", popups.len());
    assert!(
        daemon.connections() >= 2,
        "it reconnected after the silence"
    );
    report.assert_sound();
}
