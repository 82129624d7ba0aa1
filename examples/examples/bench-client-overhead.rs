//! Client overhead: 20,000 GETs at concurrency 64 on loopback against the Hetzner simulator
//! served over HTTP, through our client (rate gate disabled) and through plain reqwest with
//! the same connection settings. Best of 5 alternating rounds after a warm-up.
//!
//! Run: `cargo run --release --example bench-client-overhead`. The last line is
//! `client-overhead: ours_rps=A raw_rps=B ratio=A/B`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use examples::exit_on_error;

/// Measure our client's overhead against plain reqwest.
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
}

async fn run(args: Args) -> examples::Result<()> {
    let (ours, raw) =
        examples::bench::compare(args.requests, args.concurrency, args.rounds).await?;
    for (name, r) in [("ours", ours), ("raw", raw)] {
        println!(
            "{name}: requests={} errors={} elapsed={:.3}s rps={:.0}",
            r.ok + r.errors,
            r.errors,
            r.elapsed.as_secs_f64(),
            r.rps()
        );
    }
    println!(
        "client-overhead: ours_rps={:.0} raw_rps={:.0} ratio={:.3}",
        ours.rps(),
        raw.rps(),
        ours.rps() / raw.rps()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_on_error(run(Args::parse()).await)
}
