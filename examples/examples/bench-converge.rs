//! One Cloudflare range change across a fleet of N simulated instances (default 1,000), built
//! by `fleet_flows::converge::SimulatedFleet`: the zone's admin list and rules on Cloudflare
//! and every Hetzner firewall are converged in one run through both clients' rate gates
//! (Hetzner: 3,600 requests, +1 per second, shared with the setup; Cloudflare: 1,200 per
//! 5 minutes), a signed bundle reaches every host, and the fleet audit runs after.
//!
//! Hosts pull on a timer (`--interval`, the agent's default 300 s, plus up to 10 % random
//! delay); each host's phase is drawn at random, so the host side converges when the slowest
//! host's next tick comes. That time is computed from the phases, not waited for; the cloud
//! side is measured. `converge_s` is the later of the two.
//!
//! Run: `cargo run --release --example bench-converge`. The last line is
//! `converge: instances=N api_requests=X converge_s=Y drift_after=0`, where `api_requests`
//! counts both providers (the line before it gives the split).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use examples::exit_on_error;
use fleet_flows::converge::{FleetRanges, SimulatedFleet};
use hardening_model::presets;

/// Measure one range change across a simulated fleet.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Instances in the fleet.
    #[arg(long, default_value_t = 1000)]
    instances: usize,
    /// Firewalls updated per batch (1-50).
    #[arg(long, default_value_t = 25)]
    batch: usize,
    /// The agents' timer interval in seconds.
    #[arg(long, default_value_t = 300)]
    interval: u64,
}

fn net(cidr: &str) -> examples::Result<hardening_model::IpNet> {
    cidr.parse()
        .map_err(|_| fleet_flows::Error::invalid("range", "not a CIDR"))
}

async fn run(args: Args) -> examples::Result<()> {
    let old = FleetRanges {
        admin_sources: vec![net("198.51.100.0/24")?],
        cloudflare_ranges: presets::firewall::cloudflare_fallback_ranges(),
    };
    let setup = Instant::now();
    let mut fleet = SimulatedFleet::create("example.com", args.instances, &old).await?;
    let requests = fleet.requests();
    println!(
        "setup: {} instances in {:.1}s, {} requests (hetzner={} cloudflare={})",
        args.instances,
        setup.elapsed().as_secs_f64(),
        requests.total(),
        requests.hetzner,
        requests.cloudflare
    );

    // the change: Cloudflare publishes a range, an admin source is added
    let mut new = old.clone();
    new.cloudflare_ranges.push(net("203.0.113.0/24")?);
    new.admin_sources.push(net("192.0.2.7/32")?);
    let v2 = fleet.bundle(2, "2026-12-07T19:00:00Z", &new)?;

    let cloud = Instant::now();
    let (out, used) = fleet.converge_cloud(&new, args.batch).await?;
    let cloud_s = cloud.elapsed().as_secs_f64();
    let budget = fleet
        .backends()
        .hetzner_sim
        .as_ref()
        .map_or(0.0, hetzner_client::simulator::Simulator::remaining_budget);
    println!(
        "cloudflare: {} change(s), {} write(s); firewalls: examined={} updated={} unchanged={}; \
         in {cloud_s:.1}s, Hetzner budget left {budget:.0}",
        out.zone.plan.changes.len(),
        out.zone.applied.as_ref().map_or(0, |a| a.writes),
        out.firewalls.examined,
        out.firewalls.updated.len(),
        out.firewalls.unchanged,
    );
    println!(
        "requests: hetzner={} cloudflare={}",
        used.hetzner, used.cloudflare
    );

    let slowest = fleet.pull_on_timer(&v2, Duration::from_secs(args.interval))?;
    println!(
        "hosts: every one applied version 2; slowest pickup {:.0}s at interval {}s",
        slowest.as_secs_f64(),
        args.interval
    );

    let audit = fleet.audit(&new, &v2).await?;
    print!("{}", audit.to_table());
    let converge_s = slowest.as_secs_f64().max(cloud_s);
    println!(
        "converge: instances={} api_requests={} converge_s={converge_s:.0} drift_after={}",
        audit.instances.len(),
        used.total(),
        audit.drift_count()
    );
    if audit.drift_count() > 0 {
        return Err(fleet_flows::Error::State(
            "drift left after converging".into(),
        ));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_on_error(run(Args::parse()).await)
}
