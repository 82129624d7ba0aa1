//! Serves the Hetzner Cloud and Cloudflare simulators over HTTP on 127.0.0.1, so that any
//! client (the `hcloud` CLI, Terraform, Hetzner's Python library, curl) can be tried against
//! them without an account. Stop it with Ctrl-C.
//!
//! ```text
//! cargo run --example serve-simulator -- --port 8080
//! HCLOUD_ENDPOINT=http://127.0.0.1:8080/v1 HCLOUD_TOKEN=simulated-token hcloud server list
//! curl -H 'Authorization: Bearer simulator-token' http://127.0.0.1:8080/client/v4/zones
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use cloudflare_client::simulator::{Simulator as CloudflareSimulator, TOKEN as CLOUDFLARE_TOKEN};
use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};

/// Serve both simulators on one loopback port: Hetzner under /v1, Cloudflare under /client/v4.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Cloudflare zones to create at start (repeatable).
    #[arg(long = "zone", default_value = "example.com")]
    zones: Vec<String>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    seconds: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    let args = Args::parse();
    let hetzner = Simulator::new();
    let cloudflare = CloudflareSimulator::new();
    for zone in &args.zones {
        let id = cloudflare.add_zone(zone, cloudflare_client::PlanTier::Free);
        println!("cloudflare zone {zone}: {id}");
    }
    let server = match examples::loopback::serve_on(&hetzner, Some(&cloudflare), args.port).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!(
                "serve-simulator: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    println!(
        "hetzner:    HCLOUD_ENDPOINT={} HCLOUD_TOKEN={SIMULATOR_TOKEN}",
        server.endpoint()
    );
    println!(
        "cloudflare: {} (token {CLOUDFLARE_TOKEN})",
        server.cloudflare_endpoint()
    );
    match args.seconds {
        Some(seconds) => tokio::time::sleep(Duration::from_secs(seconds)).await,
        None => std::future::pending::<()>().await,
    }
    server.stop();
    ExitCode::SUCCESS
}
