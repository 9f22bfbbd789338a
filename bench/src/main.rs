//! `notify-bench`: starts the whole system on this machine (real RabbitMQ, PostgreSQL, every
//! server role, notifyd on a headless desktop), loads it through its real interfaces, measures
//! the physical limits it is compared with in the same run, and prints a table.
//!
//! Run it with `scripts/bench` (release build, services up). Figures are printed as they are
//! measured, then the whole table in Markdown for `BENCHMARKS.md`.
//!
//! It must not assert a time: it measures and prints, and the tests assert behaviour.

mod counters;
mod cpu;
mod desktop;
mod load;
mod machine;
mod raw;
mod report;
mod stored;
mod system;

use std::time::{Duration, Instant};

use clap::Parser;
use notify_tests::TestEnv;
use report::{HEADER, Row, ms, percentile, rate, thousands};
use system::{ONE_EACH, System};

/// Load notify on this machine and print what it can do.
#[derive(Debug, Parser)]
#[command(name = "notify-bench")]
struct Args {
    /// Notifications in each throughput run.
    #[arg(long, default_value_t = 50_000)]
    notifications: usize,
    /// Concurrent HTTP clients in the throughput runs.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Smaller runs (5,000 notifications, ...), to try the benchmark out.
    #[arg(long)]
    quick: bool,
    /// Measure only these parts (comma-separated); all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
}

/// The parts of the benchmark, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// Raw RabbitMQ and PostgreSQL.
    Raw,
    /// End-to-end throughput, one process per role.
    Throughput,
    /// Submit latency at 500/s.
    Latency,
    /// Throughput with two processes of every role.
    ScaleOut,
    /// Send → popup, CLI start-up, daemon memory.
    Desktop,
    /// Inbox query and rebuild over a large stored history.
    Stored,
}

impl Args {
    fn runs(&self, part: Part) -> bool {
        self.only.is_empty() || self.only.contains(&part)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.notifications = 5_000;
    }
    println!("notify-bench on {}", machine::describe());
    let mut rows = Vec::new();
    let mut emit = |row: Row| {
        println!("{}", row.markdown());
        rows.push(row);
    };

    let mut broker = None;
    if args.runs(Part::Raw) {
        let env = TestEnv::new().await;
        let rate = raw::broker(&env, if args.quick { 20_000 } else { 100_000 }).await?;
        emit(Row::reference(
            "raw RabbitMQ",
            "persistent 1 KiB publishes with confirms (window 500) into a quorum queue, consumed with acks",
            format!("{}/s", thousands(rate)),
        ));
        broker = Some(rate);
        let (one, many) = raw::postgres(&env, if args.quick { 2_000 } else { 10_000 }, 16).await?;
        emit(Row::reference(
            "raw PostgreSQL",
            "single-row INSERT commits on the write cluster: 1 connection; 16 connections",
            format!("{}/s; {}/s", thousands(one), thousands(many)),
        ));
    }

    let mut single = None;
    if args.runs(Part::Throughput) {
        let run = throughput(ONE_EACH, &args).await?;
        let rate = run.rate;
        let ratio = broker.map_or(String::new(), |broker| {
            format!(" ({:.0}% of raw RabbitMQ)", rate / broker * 100.0)
        });
        emit(Row::target(
            "end-to-end throughput",
            &format!(
                "{} HTTP sends ({} clients) → `delivered` in the read model (webhook channel), one process per role",
                thousands(args.notifications as f64),
                args.clients
            ),
            format!("{}/s{ratio}", thousands(rate)),
            "≥ 1,000/s",
            rate >= 1_000.0,
        ));
        for row in run.rows() {
            emit(row);
        }
        single = Some(rate);
    }

    if args.runs(Part::Latency) {
        let mut system = System::start(ONE_EACH).await?;
        let latency = submit_latency(&system, 300).await?;
        emit(Row::target(
            "submit latency",
            "HTTP send at 300/s for 10 s (open loop), client-side p50 / p99, every role running",
            latency.result(),
            "p99 ≤ 10 ms, none refused",
            latency.within(Duration::from_millis(10)),
        ));
        let latency = submit_latency(&system, 500).await?;
        emit(Row::target(
            "submit latency at 500/s",
            "the same at 500/s",
            latency.result(),
            "p99 ≤ 10 ms, none refused (goal)",
            latency.within(Duration::from_millis(10)),
        ));
        // The same with only the api left: what the api and the write DB take on their own,
        // without the pipeline behind them competing for the cores.
        for index in (0..ONE_EACH.len()).filter(|i| ONE_EACH[*i] != "api") {
            system.fleet.kill9(index).await;
        }
        let latency = submit_latency(&system, 500).await?;
        emit(Row::reference(
            "submit latency, api alone",
            "at 500/s with the other roles stopped",
            latency.result(),
        ));
    }

    if args.runs(Part::ScaleOut) {
        let double: Vec<&str> = ONE_EACH.iter().flat_map(|role| [*role, *role]).collect();
        let scaled = throughput(&double, &args).await?.rate;
        let how = "the same throughput run with two processes of every role";
        let result = format!("{}/s", thousands(scaled));
        emit(match single {
            Some(single) => Row::target(
                "scale out",
                how,
                format!("{result} ({:+.0}%)", (scaled / single - 1.0) * 100.0),
                "higher",
                scaled > single,
            ),
            // Without the one-process run there is nothing to compare with.
            None => Row::reference(
                "scale out",
                &format!("{how} (not compared: run `throughput` with it)"),
                result,
            ),
        });
    }

    if args.runs(Part::Desktop) {
        let mut seen = desktop::measure(100, 10, if args.quick { 3_000 } else { 10_000 }).await?;
        let p50 = percentile(&mut seen.popup, 50.0);
        let p99 = percentile(&mut seen.popup, 99.0);
        let missing = seen.sent - seen.popup.len();
        let missing_note = if missing == 0 {
            String::new()
        } else {
            format!(
                " ({missing} of {} never receipted)",
                thousands(seen.sent as f64)
            )
        };
        emit(Row::target(
            "send → popup",
            "send at 100/s for 10 s (open loop) until notifyd showed it and its receipt was recorded, p50 / p99",
            format!("{} / {}{missing_note}", ms(p50), ms(p99)),
            "p99 ≤ 100 ms (goal: ≤ 50 ms at 200/s)",
            missing == 0 && p99 <= Duration::from_millis(100),
        ));
        let version = percentile(&mut seen.version, 50.0);
        let count = percentile(&mut seen.count, 50.0);
        emit(Row::target(
            "CLI start-up",
            "`notify --version`; `notify count` through notifyd, median of 200 runs",
            format!("{}; {}", ms(version), ms(count)),
            "≤ 3 ms; ≤ 5 ms",
            version <= Duration::from_millis(3) && count <= Duration::from_millis(5),
        ));
        emit(Row::target(
            "daemon memory",
            &format!(
                "notifyd resident set idle; after {} notifications",
                thousands(seen.notifications as f64)
            ),
            format!("{:.1} MiB; {:.1} MiB", seen.rss_idle, seen.rss_after),
            "≤ 15 MiB",
            seen.rss_idle <= 15.0 && seen.rss_after <= 15.0,
        ));
    }

    if args.runs(Part::Stored) {
        let rows_stored = if args.quick { 100_000 } else { 1_000_000 };
        let mut inbox = stored::inbox(rows_stored, 3_000).await?;
        let p50 = percentile(&mut inbox.server, 50.0);
        let p99 = percentile(&mut inbox.server, 99.0);
        emit(Row::target(
            "inbox query",
            &format!(
                "`GET /v1/notifications` with {} notifications stored (10,000 users), 3,000 requests, p50 / p99 server-side (`Server-Timing`; client-side on loopback in brackets)",
                thousands(rows_stored as f64)
            ),
            format!(
                "{} / {} ({} / {})",
                ms(p50),
                ms(p99),
                ms(percentile(&mut inbox.client, 50.0)),
                ms(percentile(&mut inbox.client, 99.0))
            ),
            "p99 ≤ 5 ms",
            p99 <= Duration::from_millis(5),
        ));
        let (rebuilt, memory) = stored::rebuild(rows_stored).await?;
        emit(Row::target(
            "rebuild",
            &format!(
                "`rebuild-read-model` over {} events (sends delivered by e-mail, 5 events each), peak memory",
                thousands(rows_stored as f64)
            ),
            format!("{}/s, {memory:.0} MiB", thousands(rebuilt)),
            "≥ 50,000/s",
            rebuilt >= 50_000.0,
        ));
    }

    println!("\n{HEADER}");
    for row in &rows {
        println!("{}", row.markdown());
    }
    Ok(())
}

/// Client-side p50 and p99 of the accepted sends at `per_second` for 10 s, and the refused
/// ones.
async fn submit_latency(system: &System, per_second: u32) -> anyhow::Result<Latency> {
    let before = cpu::Snapshot::take();
    let outcomes = load::open(system.sender(), per_second, Duration::from_secs(10), 0).await?;
    let after = cpu::Snapshot::take();
    eprintln!("  CPU at {per_second}/s (cores): {}", after.since(&before));
    let cpu = after.system_seconds_since(&before);
    let total = outcomes.len();
    let mut latencies = Vec::with_capacity(total);
    let mut server = Vec::with_capacity(total);
    let mut refused = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(sent) => {
                latencies.push(sent.latency);
                server.push(sent.server);
            }
            Err(error) => refused.push(error.to_string()),
        }
    }
    Ok(Latency {
        p50: percentile(&mut latencies, 50.0),
        p99: percentile(&mut latencies, 99.0),
        server_p99: percentile(&mut server, 99.0),
        cpu_per_send: Duration::from_secs_f64(cpu / total.max(1) as f64),
        total,
        refused,
    })
}

/// What a submit-latency run measured.
struct Latency {
    p50: Duration,
    p99: Duration,
    /// The p99 the api itself reports (`Server-Timing`): the rest is the client and the
    /// loopback.
    server_p99: Duration,
    /// CPU time of the system under test per send over the run (it grows as the batches
    /// shrink at lower rates).
    cpu_per_send: Duration,
    /// Sends made.
    total: usize,
    /// Why each refused send was refused.
    refused: Vec<String>,
}

impl Latency {
    /// "p50 / p99", and how many sends were refused and the first reason, if any were.
    fn result(&self) -> String {
        let mut result = format!(
            "{} / {} (server-side p99 {}; CPU {} per send)",
            ms(self.p50),
            ms(self.p99),
            ms(self.server_p99),
            ms(self.cpu_per_send)
        );
        if let Some(first) = self.refused.first() {
            result.push_str(&format!(
                " of the accepted; {} of {} refused (first: {first})",
                thousands(self.refused.len() as f64),
                thousands(self.total as f64)
            ));
        }
        result
    }

    /// Whether every send was accepted within `p99`.
    fn within(&self, p99: Duration) -> bool {
        self.refused.is_empty() && self.p99 <= p99
    }
}

/// What a throughput run measured.
struct Throughput {
    /// Notifications per second from the first send to the last `delivered`.
    rate: f64,
    /// CPU seconds of the system under test per notification.
    cpu: f64,
    /// Commits, publishes and deliveries per notification.
    counts: counters::PerNotification,
}

impl Throughput {
    /// The rows of the figures counted per notification (issue 17's bars).
    fn rows(&self) -> [Row; 3] {
        let cpu_ms = self.cpu * 1000.0;
        [
            Row::target(
                "CPU per notification, all processes",
                "user + system CPU of every server role, PostgreSQL and RabbitMQ (`/proc`) over the throughput run, divided by its notifications",
                format!("{cpu_ms:.2} ms"),
                "≤ 2.5 ms",
                cpu_ms <= 2.5,
            ),
            Row::target(
                "write-DB commits per notification",
                "`pg_stat_database.xact_commit` of the write database over the throughput run (read-only transactions too)",
                format!("{:.2}", self.counts.commits),
                "≤ 0.5",
                self.counts.commits <= 0.5,
            ),
            Row::target(
                "broker deliveries per notification",
                "RabbitMQ's `deliver_get` of the run's vhost over the throughput run (webhook channel); publishes in brackets",
                format!(
                    "{:.2} ({:.2})",
                    self.counts.deliveries, self.counts.publishes
                ),
                "≤ 2",
                self.counts.deliveries <= 2.0,
            ),
        ]
    }
}

/// One throughput run on `layout`.
async fn throughput(layout: &[&str], args: &Args) -> anyhow::Result<Throughput> {
    let system = System::start(layout).await?;
    // What the start-up did is reported by now.
    tokio::time::sleep(counters::SETTLE).await;
    let counted = counters::Counters::read(&system.env).await?;
    let cpu = cpu::Snapshot::take();
    let started = Instant::now();
    let accepted = load::closed(system.sender(), args.notifications, args.clients).await?;
    let delivered = system
        .wait_delivered(args.notifications as i64, started)
        .await?;
    eprintln!(
        "  {} accepted in {:.1} s ({}/s), all delivered after {:.1} s",
        args.notifications,
        accepted.as_secs_f64(),
        thousands(rate(args.notifications, accepted)),
        delivered.as_secs_f64()
    );
    let cpu_after = cpu::Snapshot::take();
    eprintln!("  CPU (cores): {}", cpu_after.since(&cpu));
    tokio::time::sleep(counters::SETTLE).await;
    let counts = counters::Counters::read(&system.env)
        .await?
        .per(&counted, args.notifications);
    Ok(Throughput {
        rate: rate(args.notifications, delivered),
        cpu: cpu_after.system_seconds_since(&cpu) / args.notifications as f64,
        counts,
    })
}
