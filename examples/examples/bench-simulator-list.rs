//! Listing a large project through the Hetzner simulator: for each size (1,000 and 10,000
//! servers unless `--servers` says otherwise) a fresh project gets N servers, then every page
//! of `GET /servers` is walked through the client's stream (50 per page), once as is and once
//! sorted by name. Prints the time per walk, the peak resident memory of the walks (VmHWM,
//! reset after the creates where the kernel allows it) and what the request log holds, and
//! checks the per-request cost: the time of one `GET /servers/{id}` must not grow with N.
//!
//! Run: `cargo run --release --example bench-simulator-list`. One line per size:
//! `simulator-list: servers=N pages=P list_s=A sorted_s=B peak_mb=C get_us=G log_kept=K requests=R`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use examples::exit_on_error;
use futures::TryStreamExt;
use hetzner_client::resources::servers::{CreateServer, ListServers};
use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, Labels, ListParams};

/// Measure how listing scales with the number of servers in the simulator.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Servers to create, then list (repeatable: one project per size).
    #[arg(long, default_values_t = [1_000, 10_000])]
    servers: Vec<u32>,
}

/// A line of `/proc/self/status` in MB (`None` off Linux).
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets VmHWM to the current resident size, so the next peak is the walk's own.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Walks every page; returns the servers seen and the time taken. Each server is counted
/// and dropped as the stream yields it (a caller holding all 10,000 models would add their
/// own size to the peak, which is the simulator's and the stream's here).
async fn walk(client: &Client, filter: &ListServers) -> examples::Result<(usize, Duration)> {
    let start = Instant::now();
    let seen = client
        .servers()
        .stream(filter.clone())?
        .try_fold(0usize, |seen, _server| async move { Ok(seen + 1) })
        .await?;
    Ok((seen, start.elapsed()))
}

/// The mean time of one `GET /servers/{id}` over `rounds` requests.
async fn get_one(client: &Client, id: u64, rounds: u32) -> examples::Result<Duration> {
    let start = Instant::now();
    for _ in 0..rounds {
        client.servers().get(id).await?;
    }
    Ok(start.elapsed() / rounds.max(1))
}

async fn run(args: Args) -> examples::Result<()> {
    for servers in args.servers {
        one_size(servers).await?;
    }
    Ok(())
}

async fn one_size(servers: u32) -> examples::Result<()> {
    // a bucket large enough that pacing plays no part
    let sim = Simulator::with_limit(u32::MAX);
    let client = Client::simulated(&sim)?;
    let start = Instant::now();
    let mut first = None;
    for i in 0..servers {
        let labels = Labels::new().with("instance", format!("inst-{i:05}"))?;
        let create = CreateServer::new(format!("web-{i:05}"), "cx22", "ubuntu-24.04")
            .location("fsn1")
            .labels(labels);
        let created = client.servers().create(&create).await?;
        first.get_or_insert(created.server.id);
    }
    println!(
        "created: servers={servers} elapsed={:.2}s rss_mb={:.1}",
        start.elapsed().as_secs_f64(),
        status_mb("VmRSS:").unwrap_or(0.0)
    );
    let reset = reset_peak();
    let (seen, plain) = walk(&client, &ListServers::default()).await?;
    let sorted_filter = ListServers::from(ListParams::default().sort("name:desc"));
    let (seen_sorted, sorted) = walk(&client, &sorted_filter).await?;
    if seen != servers as usize || seen_sorted != seen {
        return Err(examples::Error::State(format!(
            "listed {seen} and {seen_sorted} of {servers} servers"
        )));
    }
    let peak = status_mb("VmHWM:").unwrap_or(0.0);
    let pages = seen.div_ceil(50);
    println!(
        "walks: pages={pages} plain={:.3}s sorted={:.3}s peak_{}={peak:.1}MB",
        plain.as_secs_f64(),
        sorted.as_secs_f64(),
        if reset { "of_walks" } else { "of_process" },
    );
    let get = get_one(&client, first.unwrap_or_default(), 200).await?;
    println!(
        "simulator-list: servers={seen} pages={pages} list_s={:.3} sorted_s={:.3} peak_mb={peak:.1} get_us={} log_kept={} requests={}",
        plain.as_secs_f64(),
        sorted.as_secs_f64(),
        get.as_micros(),
        sim.requests().len(),
        sim.request_count()
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    examples::init_tracing();
    exit_on_error(run(Args::parse()).await)
}
