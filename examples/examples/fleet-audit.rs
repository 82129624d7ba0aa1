//! `fleet-audit`: Appendix B for every instance of the fleet, the API lines answered by the
//! Hetzner and Cloudflare APIs and the host lines by each host's signed report. Prints the
//! drift table (or JSON with `--json`) and exits 1 when any line failed.
//!
//! Inputs: the published bundle's `manifest`, a directory of host reports
//! (`<instance>.status`, as the agents upload them) and a directory of report keys
//! (`<instance>.key`, the instances' callback secrets). Cloudflare's ranges are read from the
//! API. Without API tokens it runs against the simulators (an empty fleet).
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cloudinit_builder::Secret;
use examples::{Backends, exit_on_error};
use fleet_flows::audit::{Desired, audit_fleet};
use fleet_flows::converge::{FleetRanges, HostReport};
use hardening_model::converge::Manifest;

#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The zone the fleet serves.
    #[arg(long, default_value = "example.com")]
    zone: String,
    /// The published bundle manifest (the desired version and file digests).
    #[arg(long)]
    manifest: PathBuf,
    /// Directory of host reports, `<instance>.status`.
    #[arg(long)]
    reports: PathBuf,
    /// Directory of report keys, `<instance>.key` (mode 0600).
    #[arg(long)]
    keys: PathBuf,
    /// An admin source address or CIDR (repeatable), as in the firewalls.
    #[arg(long = "admin-source", value_name = "CIDR")]
    admin_sources: Vec<String>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

fn read(field: &str, path: &std::path::Path) -> examples::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| fleet_flows::Error::invalid(field, format!("{}: {e}", path.display())))
}

async fn run(args: Args) -> examples::Result<bool> {
    let manifest = Manifest::parse(&read("manifest", &args.manifest)?)?;
    let mut admin_sources = Vec::new();
    for (i, s) in args.admin_sources.iter().enumerate() {
        admin_sources.push(s.parse().map_err(|_| {
            fleet_flows::Error::invalid(format!("admin_source[{i}]"), "not an IP network")
        })?);
    }
    let mut reports = BTreeMap::new();
    let entries = std::fs::read_dir(&args.reports).map_err(|e| {
        fleet_flows::Error::invalid("reports", format!("{}: {e}", args.reports.display()))
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(instance) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".status"))
        else {
            continue;
        };
        let key = Secret::new(read("keys", &args.keys.join(format!("{instance}.key")))?.trim())?;
        match HostReport::verify(&read("reports", &path)?, &key) {
            Ok(report) if report.instance == instance => {
                reports.insert(instance.to_owned(), report);
            }
            // an unverifiable report is not believed: the instance then fails converge.version
            _ => println!("ignoring {}: not verified", path.display()),
        }
    }
    let backends = Backends::connect(&args.zone).await?;
    let ranges = FleetRanges {
        admin_sources,
        cloudflare_ranges: backends.cloudflare.ips().get().await?.to_model(),
    };
    let desired = Desired {
        zone: &args.zone,
        ranges: &ranges,
        manifest: &manifest,
        host_files: &[],
    };
    let audit = audit_fleet(&backends, &desired, &reports).await?;
    if args.json {
        println!("{:#}", audit.to_json());
    } else {
        print!("{}", audit.to_table());
    }
    Ok(audit.drift_count() == 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => exit_on_error(Err(e)),
    }
}
