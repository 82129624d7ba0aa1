//! One Cloudflare range change across a fleet of N simulated instances (default 1,000): every
//! Hetzner firewall is brought to the new ranges in batches through the client's rate gate,
//! within the project's documented budget (3,600 requests, +1 per second, shared with the
//! setup), a signed bundle reaches every host, and the fleet audit runs after.
//!
//! Hosts pull on a timer (`--interval`, the agent's default 300 s, plus up to 10 % random
//! delay); each host's phase is drawn at random, so the host side converges when the slowest
//! host's next tick comes. That time is computed from the phases, not waited for; the cloud
//! side is measured. `converge_s` is the later of the two.
//!
//! Run: `cargo run --release --example bench-converge`. The last line is
//! `converge: instances=N api_requests=X converge_s=Y drift_after=0`.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use cloudinit_builder::Secret;
use examples::exit_on_error;
use fleet_flows::audit::{Desired, audit_fleet};
use fleet_flows::converge::{
    Bundle, BundleSigner, DesiredFile, FleetRanges, HostReport, SimulatedHost, converge_firewalls,
};
use fleet_flows::{Backends, Progress};
use futures::{StreamExt as _, TryStreamExt as _};
use hardening_model::RenderedFile;
use hardening_model::converge::{Selector, Validator};
use hardening_model::presets;
use hardening_model::values::{Port, UnixUser};
use hetzner_client::Labels;
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;
use rand::Rng as _;

const ZONE: &str = "example.com";

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

fn host_files(ranges: &FleetRanges) -> examples::Result<Vec<DesiredFile>> {
    let port = Port::new(22)?;
    let fw =
        presets::firewall::baseline(port, &ranges.admin_sources, &ranges.cloudflare_ranges, None)?;
    let sshd = presets::host::sshd(port, &[UnixUser::new("admin")?])?.render()?;
    Ok(vec![
        DesiredFile::new(fw.nftables_conf(), Validator::Nft),
        DesiredFile::new(sshd, Validator::Sshd),
    ])
}

fn net(cidr: &str) -> examples::Result<hardening_model::IpNet> {
    cidr.parse()
        .map_err(|_| fleet_flows::Error::invalid("range", "not a CIDR"))
}

fn report_key(i: usize) -> examples::Result<Secret> {
    Ok(Secret::new(format!("report-key-of-instance-{i:05}"))?)
}

async fn run(args: Args) -> examples::Result<()> {
    let backends = Backends::simulated(ZONE)?;
    let Some(hsim) = backends.hetzner_sim.clone() else {
        return Err(fleet_flows::Error::State("simulator expected".into()));
    };
    hsim.set_action_duration(Duration::from_millis(5));
    fleet_flows::zone::harden_zone(&backends, ZONE, false, &Progress::silent()).await?;

    let old = FleetRanges {
        admin_sources: vec![net("198.51.100.0/24")?],
        cloudflare_ranges: presets::firewall::cloudflare_fallback_ranges(),
    };
    let signer = BundleSigner::generate()?;
    let v1 = Bundle::build(
        &signer,
        1,
        "2026-12-07T18:00:00Z",
        Selector::all(),
        &host_files(&old)?,
    )?;
    let setup = Instant::now();
    let old_rules = old.hetzner_rules(Port::new(22)?)?;
    let create = |i: usize| {
        let backends = &backends;
        let rules = old_rules.clone();
        async move {
            let id = format!("inst-{i:05}");
            let labels = Labels::new()
                .with("managed-by", "hardened-fleet")?
                .with("instance", id.as_str())?
                .with("ssh-port", "22")?;
            let fw = backends
                .hetzner
                .firewalls()
                .create(
                    &CreateFirewall::new(format!("fw-{id}"))
                        .labels(labels.clone())
                        .rules(rules),
                )
                .await?
                .firewall;
            backends
                .hetzner
                .servers()
                .create(
                    &CreateServer::new(id.as_str(), "cx22", "ubuntu-24.04")
                        .firewall(fw.id)
                        .labels(labels),
                )
                .await?;
            Ok::<String, examples::Error>(id)
        }
    };
    // instances are created 16 at a time (setup only; not measured)
    let ids: Vec<String> = futures::stream::iter(0..args.instances)
        .map(create)
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let mut hosts = Vec::with_capacity(args.instances);
    for (i, id) in ids.iter().enumerate() {
        let mut host = SimulatedHost::new(id, &signer.public_key_line(), report_key(i)?)?;
        host.pull(&v1)?;
        hosts.push(host);
    }
    println!(
        "setup: {} instances in {:.1}s, {} requests",
        args.instances,
        setup.elapsed().as_secs_f64(),
        hsim.request_count()
    );

    // the change
    let mut new = old.clone();
    new.cloudflare_ranges.push(net("203.0.113.0/24")?);
    let files_v2 = host_files(&new)?;
    let v2 = Bundle::build(
        &signer,
        2,
        "2026-12-07T19:00:00Z",
        Selector::all(),
        &files_v2,
    )?;

    let before = hsim.request_count();
    let cloud = Instant::now();
    let out = converge_firewalls(&backends, &new, args.batch).await?;
    let cloud_s = cloud.elapsed().as_secs_f64();
    let api_requests = hsim.request_count() - before;
    println!(
        "firewalls: examined={} updated={} unchanged={} in {cloud_s:.1}s, {api_requests} requests, budget left {:.0}",
        out.examined,
        out.updated.len(),
        out.unchanged,
        hsim.remaining_budget()
    );

    // hosts: each pulls at its next tick after publication
    let mut rng = rand::rng();
    let interval = args.interval as f64;
    let mut slowest: f64 = 0.0;
    for host in &mut hosts {
        let next_tick = rng.random_range(0.0..interval) + rng.random_range(0.0..interval / 10.0);
        slowest = slowest.max(next_tick);
        host.pull(&v2)?;
    }
    println!(
        "hosts: every one applied version 2; slowest pickup {slowest:.0}s at interval {interval:.0}s"
    );

    let mut reports = BTreeMap::new();
    for (i, host) in hosts.iter().enumerate() {
        let report = HostReport::verify(&host.report(), &report_key(i)?)?;
        reports.insert(report.instance.clone(), report);
    }
    let host_v2: Vec<RenderedFile> = files_v2.iter().map(|f| f.file.clone()).collect();
    let desired = Desired {
        zone: ZONE,
        ranges: &new,
        manifest: v2.manifest(),
        host_files: &host_v2,
    };
    let audit = audit_fleet(&backends, &desired, &reports).await?;
    print!("{}", audit.to_table());
    let converge_s = slowest.max(cloud_s);
    println!(
        "converge: instances={} api_requests={api_requests} converge_s={converge_s:.0} drift_after={}",
        audit.instances.len(),
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
