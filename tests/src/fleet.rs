//! The server roles of one fault scenario, each in its own `notify-server serve` process, so a
//! scenario can SIGKILL one role and start it again as systemd would (`Restart=always`).
//!
//! A process with the api role keeps its port across restarts, so clients keep one URL.

use crate::TestEnv;
use crate::server::Server;
use crate::smtp::free_port;

/// One process slot: the roles it runs, its fixed api port, and the process while it runs.
#[derive(Debug)]
struct Slot {
    roles: String,
    listen: String,
    server: Option<Server>,
}

/// One process per role.
pub const ONE_EACH: &[&str] = &[
    "api",
    "relay",
    "projector",
    "dispatcher",
    "scheduler",
    "email",
    "webhook",
];

/// The processes of a scenario, all with the same extra environment.
#[derive(Debug)]
pub struct Fleet {
    env: Vec<(String, String)>,
    slots: Vec<Slot>,
    /// How many times a process was killed.
    pub kills: usize,
}

impl Fleet {
    /// Starts one process per entry of `layout` (each a `--roles` value).
    pub async fn start(test: &TestEnv, layout: &[&str], env: &[(&str, &str)]) -> Self {
        let mut fleet = Self {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            slots: layout
                .iter()
                .map(|roles| Slot {
                    roles: (*roles).to_owned(),
                    listen: format!("127.0.0.1:{}", free_port()),
                    server: None,
                })
                .collect(),
            kills: 0,
        };
        for index in 0..fleet.slots.len() {
            fleet.restart(test, index).await;
        }
        fleet
    }

    /// The api URLs, one per process that runs the api role.
    pub fn api_urls(&self) -> Vec<String> {
        self.slots
            .iter()
            .filter(|slot| runs(&slot.roles, "api"))
            .map(|slot| format!("http://{}", slot.listen))
            .collect()
    }

    /// The indexes of the processes that run `role`.
    pub fn running(&self, role: &str) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|i| runs(&self.slots[*i].roles, role))
            .collect()
    }

    /// SIGKILLs process `index` (as `kill -9` would) and waits until it is gone.
    pub async fn kill9(&mut self, index: usize) {
        if let Some(mut server) = self.slots[index].server.take() {
            let _ = server.child.start_kill();
            let _ = server.child.wait().await;
            self.kills += 1;
        }
    }

    /// Starts process `index` again (after [`Fleet::kill9`], or when it exited by itself).
    pub async fn restart(&mut self, test: &TestEnv, index: usize) {
        self.restart_with(test, index, &[]).await;
    }

    /// Starts process `index` again with `extra` environment (a failpoint, say) for this run.
    pub async fn restart_with(&mut self, test: &TestEnv, index: usize, extra: &[(&str, &str)]) {
        let slot = &mut self.slots[index];
        let mut env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        env.push(("NOTIFY_SERVER_LISTEN", &slot.listen));
        env.extend_from_slice(extra);
        slot.server = Some(test.start_server_with(&slot.roles, &env).await);
    }

    /// Waits until process `index` exited by itself (at a failpoint, say), for up to `within`;
    /// whether it did.
    pub async fn exited(&mut self, index: usize, within: std::time::Duration) -> bool {
        let Some(server) = self.slots[index].server.as_mut() else {
            return true;
        };
        let exited = tokio::time::timeout(within, server.child.wait())
            .await
            .is_ok();
        if exited {
            self.slots[index].server = None;
            self.kills += 1;
        }
        exited
    }

    /// Restarts every process that exited by itself; returns how many did.
    pub async fn revive(&mut self, test: &TestEnv) -> usize {
        let mut revived = 0;
        for index in 0..self.slots.len() {
            let exited = match &mut self.slots[index].server {
                Some(server) => server.child.try_wait().ok().flatten().is_some(),
                None => false,
            };
            if exited {
                self.restart(test, index).await;
                revived += 1;
            }
        }
        revived
    }
}

fn runs(roles: &str, role: &str) -> bool {
    roles.split(',').any(|r| r == role)
}
