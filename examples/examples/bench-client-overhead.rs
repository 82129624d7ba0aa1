//! Client overhead: 20,000 GETs of `/locations/1` at concurrency 64 on loopback, against a
//! server in another process (this binary started again with `--serve`, serving the Hetzner
//! simulator's own answer), through our client (rate gate disabled), through plain reqwest
//! with the same connection settings, and through the `hcloud` crate (the OpenAPI-generated
//! client on crates.io). Best of 5 rounds after a warm-up; within a round the three run one
//! after the other, in an order that rotates from round to round. CPU is the whole client
//! process's user + system time during the run, per request.
//!
//! Run: `cargo run --release --example bench-client-overhead`. The last line is
//! `client-overhead: ours_rps=A raw_rps=B hcloud_rps=C ratio=A/B`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use examples::bench::{self, Run, ServerProcess};
use examples::exit_on_error;
use hetzner_client::simulator::SIMULATOR_TOKEN;

/// Measure our client's overhead against plain reqwest and the `hcloud` crate.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Requests per run.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Concurrent tasks.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Rounds (best of).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Be the server process instead (the bench starts itself with this flag).
    #[arg(long, hide = true)]
    serve: bool,
}

/// The same GETs through the `hcloud` crate, on reqwest 0.12 with the same timeouts.
async fn hcloud_run(endpoint: &str, requests: usize, concurrency: usize) -> examples::Result<Run> {
    let http = reqwest12::Client::builder()
        .connect_timeout(bench::CONNECT_TIMEOUT)
        .timeout(bench::REQUEST_TIMEOUT)
        .build()
        .map_err(|e| examples::Error::State(format!("could not build the HTTP client: {e}")))?;
    let mut config = hcloud::apis::configuration::Configuration::new();
    config.client = http;
    config.bearer_access_token = Some(SIMULATOR_TOKEN.to_owned());
    config.base_path_mapping.insert(
        "https://api.hetzner.cloud/v1".to_owned(),
        endpoint.to_owned(),
    );
    let config = std::sync::Arc::new(config);
    Ok(bench::drive(requests, concurrency, move || {
        let config = std::sync::Arc::clone(&config);
        async move {
            let params = hcloud::apis::locations_api::GetLocationParams { id: 1 };
            hcloud::apis::locations_api::get_location(&config, params)
                .await
                .is_ok()
        }
    })
    .await)
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Ours,
    Raw,
    Hcloud,
}

async fn one(
    side: Side,
    endpoint: &str,
    requests: usize,
    concurrency: usize,
) -> examples::Result<Run> {
    match side {
        Side::Ours => bench::ours(endpoint, requests, concurrency).await,
        Side::Raw => bench::raw(endpoint, requests, concurrency).await,
        Side::Hcloud => hcloud_run(endpoint, requests, concurrency).await,
    }
}

async fn run(args: Args) -> examples::Result<()> {
    let program = std::env::current_exe()
        .map_err(|e| examples::Error::State(format!("cannot find this program: {e}")))?;
    let server = ServerProcess::spawn(&program)?;
    let endpoint = server.endpoint().to_owned();
    let sides = [Side::Ours, Side::Raw, Side::Hcloud];
    // Warm-up: connections, allocator, page cache.
    for side in sides {
        one(side, &endpoint, args.requests / 10, args.concurrency).await?;
    }
    let mut best: [Option<Run>; 3] = [None; 3];
    for round in 0..args.rounds.max(1) {
        for k in 0..sides.len() {
            let i = (round + k) % sides.len();
            let r = one(sides[i], &endpoint, args.requests, args.concurrency).await?;
            best[i] = Some(r.best(best[i]));
        }
    }
    drop(server);
    let [Some(ours), Some(raw), Some(hcloud)] = best else {
        return Err(examples::Error::State("no run completed".into()));
    };
    for (name, r) in [("ours", ours), ("raw", raw), ("hcloud", hcloud)] {
        let cpu = r
            .cpu_us_per_request()
            .map_or_else(|| "n/a".to_owned(), |us| format!("{us:.1}us"));
        println!(
            "{name}: requests={} errors={} elapsed={:.3}s rps={:.0} cpu_per_request={cpu}",
            r.ok + r.errors,
            r.errors,
            r.elapsed.as_secs_f64(),
            r.rps()
        );
    }
    println!(
        "client-overhead: ours_rps={:.0} raw_rps={:.0} hcloud_rps={:.0} ratio={:.3}",
        ours.rps(),
        raw.rps(),
        hcloud.rps(),
        ours.rps() / raw.rps()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    let args = Args::parse();
    if args.serve {
        return exit_on_error(bench::serve_fixed().await);
    }
    exit_on_error(run(args).await)
}
