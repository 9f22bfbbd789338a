//! Outages of the shared services, for the fault suite only: it runs alone (`scripts/test`
//! starts it after every other test), because these stop RabbitMQ or a PostgreSQL cluster for
//! everyone on the machine.

use std::time::Duration;

use tokio::process::Command;

async fn sh(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success())
}

/// Kills RabbitMQ with SIGKILL (its Erlang VM, as a power cut would).
pub async fn kill_rabbitmq() {
    assert!(
        sh("pkill", &["-KILL", "-f", "beam.smp"]).await,
        "no RabbitMQ to kill"
    );
    for _ in 0..100 {
        if !sh("pgrep", &["-f", "beam.smp"]).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("RabbitMQ survived SIGKILL");
}

/// Starts RabbitMQ as `scripts/services` does and waits until it serves.
pub async fn start_rabbitmq() {
    sh("rabbitmq-server", &["-detached"]).await;
    // `await_startup` fails at once while the node is not even booting yet.
    for _ in 0..120 {
        if sh("rabbitmqctl", &["-q", "status"]).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        sh("rabbitmqctl", &["-q", "await_startup", "--timeout", "120"]).await,
        "RabbitMQ did not come back"
    );
}

/// Raises (or clears) RabbitMQ's disk alarm by moving the free-disk limit above (or below)
/// what the disk has: publishers are blocked while it is raised.
pub async fn disk_alarm(raised: bool) {
    let limit = if raised { "1000000GB" } else { "50MB" };
    assert!(
        sh("rabbitmqctl", &["-q", "set_disk_free_limit", limit]).await,
        "set_disk_free_limit {limit}"
    );
}

/// The write PostgreSQL cluster (port 5678) and the read one (5432), as `scripts/services`
/// makes them.
#[derive(Debug, Clone, Copy)]
pub enum Cluster {
    /// `15/write`.
    Write,
    /// `15/main`.
    Read,
}

impl Cluster {
    fn name(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Read => "main",
        }
    }

    /// Restarts the cluster in immediate mode (no checkpoint, connections dropped: a crash).
    pub async fn crash_restart(self) {
        assert!(
            sh(
                "pg_ctlcluster",
                &["15", self.name(), "restart", "-m", "immediate"]
            )
            .await,
            "restart the {} cluster",
            self.name()
        );
    }

    /// Stops the cluster (fast mode: connections dropped).
    pub async fn stop(self) {
        assert!(
            sh("pg_ctlcluster", &["15", self.name(), "stop", "-m", "fast"]).await,
            "stop the {} cluster",
            self.name()
        );
    }

    /// Starts the cluster.
    pub async fn start(self) {
        assert!(
            sh("pg_ctlcluster", &["15", self.name(), "start"]).await,
            "start the {} cluster",
            self.name()
        );
    }
}

/// Puts the services back when dropped (RabbitMQ running, no disk alarm, both clusters up),
/// so a scenario that fails half-way leaves the machine working for the next one.
#[derive(Debug)]
pub struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let run = |program: &str, args: &[&str]| {
            let _ = std::process::Command::new(program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        };
        if !std::process::Command::new("pgrep")
            .args(["-f", "beam.smp"])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            run("rabbitmq-server", &["-detached"]);
        }
        run("rabbitmqctl", &["-q", "await_startup", "--timeout", "120"]);
        run("rabbitmqctl", &["-q", "set_disk_free_limit", "50MB"]);
        for cluster in ["write", "main"] {
            run("pg_ctlcluster", &["15", cluster, "start"]);
        }
    }
}
