//! Role processes killed with SIGKILL at random points, and two instances of every role.

use std::time::Duration;

use notify_tests::outage::Restore;
use rand::seq::IndexedRandom;

use crate::rig::{ONE_EACH, Rig};

/// Sends at this rate; with 400 sends a stream lasts about 13 s.
const PER_SECOND: u32 = 30;

#[tokio::test]
async fn roles_killed_with_sigkill_at_random_points() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    let mut checker = rig.checker();
    // Every role but the api, whose clients would only see refused connections.
    let victims = &ONE_EACH[1..];
    let mut killed = Vec::new();
    let faults = async {
        // Every role at least once, then random ones, each at a random moment.
        let mut order: Vec<&str> = victims.to_vec();
        for _ in 0..6 {
            order.push(*victims.choose(&mut rand::rng()).expect("victims"));
        }
        for role in order {
            let pause = rand::random_range(300..1200);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let index = rig.fleet.running(role)[0];
            rig.fleet.kill9(index).await;
            tokio::time::sleep(Duration::from_millis(rand::random_range(50..500))).await;
            rig.fleet.restart(&rig.env, index).await;
            killed.push(role);
        }
    };
    tokio::join!(checker.stream(400, PER_SECOND), faults);
    let report = rig
        .finish(
            "role processes killed",
            &format!("{} SIGKILLs ({})", killed.len(), killed.join(", ")),
            &checker,
        )
        .await;
    report.assert_sound();
}

#[tokio::test]
async fn two_instances_of_every_role_with_one_of_each_killed() {
    let _restore = Restore;
    let layout: Vec<&str> = ONE_EACH.iter().flat_map(|role| [*role, *role]).collect();
    let mut rig = Rig::start(&layout).await;
    let mut checker = rig.checker();
    let faults = async {
        tokio::time::sleep(Duration::from_secs(4)).await;
        // The first instance of every role but the api goes; the second carries on alone.
        for role in &ONE_EACH[1..] {
            let index = rig.fleet.running(role)[0];
            rig.fleet.kill9(index).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        for role in &ONE_EACH[1..] {
            let index = rig.fleet.running(role)[0];
            rig.fleet.restart(&rig.env, index).await;
        }
    };
    tokio::join!(checker.stream(400, PER_SECOND), faults);
    let report = rig
        .finish(
            "two of every role",
            "14 processes, one of each role SIGKILLed for 3 s",
            &checker,
        )
        .await;
    report.assert_sound();
}

#[tokio::test]
async fn roles_killed_in_the_middle_of_a_batch_commit() {
    let _restore = Restore;
    let mut rig = Rig::start(ONE_EACH).await;
    // Each role that writes a batch in one transaction is started again, before any send, with
    // a failpoint that aborts it (as SIGKILL would) once its first batch's statements ran and
    // before the commit; it is started again without it once it did. (Before any send, so the
    // restart itself interrupts nothing: a worker killed twice in one batch's window sends its
    // e-mails three times, which the checker rightly calls duplicated.)
    let armed = [
        ("dispatcher", "dispatcher.batch_commit"),
        ("email", "worker.batch_commit"),
        ("projector", "projector.batch_commit"),
        ("webhook", "worker.batch_commit"),
    ];
    for (role, failpoint) in armed {
        let index = rig.fleet.running(role)[0];
        rig.fleet.kill9(index).await;
        rig.fleet
            .restart_with(&rig.env, index, &[("NOTIFY_FAILPOINTS", failpoint)])
            .await;
    }
    let mut checker = rig.checker();
    let mut aborted = Vec::new();
    let faults = async {
        for (role, failpoint) in armed {
            let index = rig.fleet.running(role)[0];
            assert!(
                rig.fleet.exited(index, Duration::from_secs(30)).await,
                "{role} reached {failpoint}"
            );
            rig.fleet.restart(&rig.env, index).await;
            aborted.push(role);
        }
    };
    tokio::join!(checker.stream(400, PER_SECOND), faults);
    let report = rig
        .finish(
            "killed mid-batch commit",
            &format!(
                "{} roles aborted between their first batch's statements and its commit ({})",
                aborted.len(),
                aborted.join(", ")
            ),
            &checker,
        )
        .await;
    report.assert_sound();
}
