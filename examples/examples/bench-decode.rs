//! List decoding: a 50-server page as the Hetzner simulator answers it, decoded N times
//! straight from its bytes (`Page::from_slice`, what every list call does) and through a
//! `serde_json::Value` tree first (the body as a map, then the entries and the meta from their
//! values), which is how pages used to be decoded. Best of 5 rounds.
//!
//! Run: `cargo run --release --example bench-decode`. The last line is
//! `decode: typed_us=A value_us=B speedup=B/A` (microseconds per page).
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use examples::exit_on_error;
use hetzner_client::models::server::Server;
use hetzner_client::pagination::{Page, Pagination};
use hetzner_client::request::RequestSpec;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, Labels};
use serde_json::{Map, Value};

/// Measure typed page decoding against decoding through a `Value` tree.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Servers on the page (at most 50, the API's page size limit).
    #[arg(long, default_value_t = 50)]
    servers: u32,
    /// Decodes per round.
    #[arg(long, default_value_t = 2_000)]
    iterations: u32,
    /// Rounds (best of).
    #[arg(long, default_value_t = 5)]
    rounds: u32,
}

/// The page body as the simulator answers `GET /servers?per_page=50`.
async fn page_body(servers: u32) -> examples::Result<Vec<u8>> {
    let sim = Simulator::new();
    let client = Client::simulated(&sim)?;
    for i in 0..servers {
        let labels = Labels::new()
            .with("role", "web")?
            .with("instance", format!("inst-{i:04}"))?;
        let create = CreateServer::new(format!("web-{i:04}"), "cx22", "ubuntu-24.04")
            .location("fsn1")
            .labels(labels);
        client.servers().create(&create).await?;
    }
    let response = client
        .execute(&RequestSpec::get("/servers").with_query("per_page", "50"))
        .await?;
    Ok(response.body.to_vec())
}

/// The old path: the whole body as a `Value` map, then the entries and the meta from it.
fn through_value(body: &[u8]) -> (Vec<Server>, Option<Pagination>) {
    let mut root: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
    let items =
        serde_json::from_value(root.remove("servers").unwrap_or_default()).unwrap_or_default();
    let pagination = root
        .remove("meta")
        .and_then(|mut m| m.get_mut("pagination").map(Value::take))
        .and_then(|p| serde_json::from_value(p).ok());
    (items, pagination)
}

/// Best per-page time of `rounds` rounds of `iterations` runs of `f`.
fn best(rounds: u32, iterations: u32, mut f: impl FnMut() -> usize) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(f());
            }
            start.elapsed() / iterations.max(1)
        })
        .min()
        .unwrap_or_default()
}

async fn run(args: Args) -> examples::Result<()> {
    let body = page_body(args.servers.min(50)).await?;
    let typed: Page<Server> = Page::from_slice(&body, "servers")?;
    let (value_items, value_meta) = through_value(&body);
    if typed.items != value_items || typed.pagination != value_meta {
        return Err(examples::Error::State(
            "the two decoding paths disagree".into(),
        ));
    }
    println!(
        "page: servers={} bytes={} iterations={} rounds={}",
        typed.items.len(),
        body.len(),
        args.iterations,
        args.rounds
    );
    let typed_time = best(args.rounds, args.iterations, || {
        Page::<Server>::from_slice(&body, "servers").map_or(0, |p| p.items.len())
    });
    let value_time = best(args.rounds, args.iterations, || {
        through_value(&body).0.len()
    });
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "decode: typed_us={:.1} value_us={:.1} speedup={:.2}",
        us(typed_time),
        us(value_time),
        us(value_time) / us(typed_time).max(1e-9)
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    examples::init_tracing();
    exit_on_error(run(Args::parse()).await)
}
