//! Where the CPU time went during a run: every process on the machine grouped by what it is
//! (a `notify-server` role, a PostgreSQL cluster, RabbitMQ, the benchmark itself), from the
//! user + system ticks in `/proc/<pid>/stat`.
//!
//! It must not change what it measures: it only reads `/proc`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// CPU ticks per group at one moment.
#[derive(Debug)]
pub struct Snapshot {
    at: Instant,
    /// Ticks per (group, pid), so processes that started in between count from zero.
    ticks: BTreeMap<(String, u32), u64>,
}

/// Clock ticks per second (`getconf CLK_TCK`); 100 on every Linux this runs on.
const TICKS_PER_SECOND: f64 = 100.0;

impl Snapshot {
    /// Reads every process now.
    pub fn take() -> Self {
        let mut ticks = BTreeMap::new();
        let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
        for entry in entries {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if let Some((group, used)) = process(pid) {
                ticks.insert((group, pid), used);
            }
        }
        Self {
            at: Instant::now(),
            ticks,
        }
    }

    /// CPU used per group since `earlier`, busiest first, as "group 1.23 cores" lines.
    pub fn since(&self, earlier: &Self) -> String {
        let wall = self
            .at
            .duration_since(earlier.at)
            .max(Duration::from_millis(1));
        let mut busiest: Vec<(&str, f64)> = self
            .ticks_since(earlier)
            .into_iter()
            .map(|(group, ticks)| (group, ticks as f64 / TICKS_PER_SECOND / wall.as_secs_f64()))
            .filter(|(_, cores)| *cores >= 0.01)
            .collect();
        busiest.sort_by(|a, b| b.1.total_cmp(&a.1));
        busiest
            .iter()
            .map(|(group, cores)| format!("{group} {cores:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// CPU seconds the system under test used since `earlier`: every group but the benchmark
    /// itself (the load, the webhook receiver) and "other" (whatever else runs on the machine).
    pub fn system_seconds_since(&self, earlier: &Self) -> f64 {
        let ticks: u64 = self
            .ticks_since(earlier)
            .into_iter()
            .filter(|(group, _)| !matches!(*group, "notify-bench" | "other"))
            .map(|(_, ticks)| ticks)
            .sum();
        ticks as f64 / TICKS_PER_SECOND
    }

    /// Ticks per group since `earlier`.
    fn ticks_since(&self, earlier: &Self) -> BTreeMap<&str, u64> {
        let mut groups: BTreeMap<&str, u64> = BTreeMap::new();
        for ((group, pid), used) in &self.ticks {
            let before = earlier.ticks.get(&(group.clone(), *pid)).copied();
            *groups.entry(group).or_default() += used - before.unwrap_or(0).min(*used);
        }
        groups
    }
}

/// The group and user + system ticks of process `pid`.
fn process(pid: u32) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; the fields follow the last ')'.
    let (_, fields) = stat.rsplit_once(") ")?;
    let fields: Vec<&str> = fields.split(' ').collect();
    let used = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some((group(&args)?, used))
}

/// What a process is, from its command line; everything else (compilers, editors, ...) is
/// "other", so a busy machine shows in the figures.
fn group(args: &[String]) -> Option<String> {
    let program = args.first().filter(|program| !program.is_empty())?;
    let base = program.rsplit('/').next().unwrap_or(program);
    if base == "notify-server" {
        let roles = args
            .iter()
            .position(|a| a == "--roles")
            .and_then(|i| args.get(i + 1))
            .map_or("all", String::as_str);
        return Some(roles.to_owned());
    }
    if program.starts_with("postgres: ") {
        // "postgres: 15/main: notify notify_read 127.0.0.1(1234) idle"
        let cluster = program
            .split(' ')
            .nth(1)
            .unwrap_or("?")
            .trim_end_matches(':');
        return Some(format!("postgres {cluster}"));
    }
    match base {
        "beam.smp" => Some("rabbitmq".into()),
        "notifyd" | "notify-bench" | "dunst" => Some(base.into()),
        _ => Some("other".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn groups_processes_by_what_they_are() {
        assert_eq!(
            group(&args("/x/notify-server serve --roles relay")).as_deref(),
            Some("relay")
        );
        assert_eq!(
            group(&["postgres: 15/write: notify notify_write 127.0.0.1(5) idle".into()]).as_deref(),
            Some("postgres 15/write")
        );
        assert_eq!(
            group(&args("/usr/bin/rustc --edition 2024")).as_deref(),
            Some("other")
        );
        assert_eq!(group(&[]), None, "kernel threads have no command line");
    }
}
