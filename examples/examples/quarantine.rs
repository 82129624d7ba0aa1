//! Quarantine a compromised host: remove its DNS record, snapshot it for forensics, apply a
//! deny-all firewall. `--release` reverses it (the snapshot is kept).
//!
//! Offline, the example first provisions the instance in the simulator so there is a host to
//! quarantine (and with `--release`, quarantines it before releasing).
//!
//! ```text
//! cargo run --example quarantine -- --instance-id inst-0042 --subdomain acme --zone example.com
//! cargo run --example quarantine -- --instance-id inst-0042 --subdomain acme --zone example.com --release
//! ```

use std::process::ExitCode;

use clap::Parser;
use examples::provision::{ProvisionRequest, provision};
use examples::{Backends, Progress, exit_on_error};

/// Cut a host off (DNS record removed, forensic snapshot, deny-all firewall), or release it.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Instance id of the host.
    #[arg(long, default_value = "inst-0001")]
    instance_id: String,
    /// Its customer subdomain.
    #[arg(long, default_value = "demo")]
    subdomain: String,
    /// Its Cloudflare zone.
    #[arg(long, default_value = "example.com")]
    zone: String,
    /// Undo a quarantine.
    #[arg(long)]
    release: bool,
}

async fn run(args: Args) -> examples::Result<()> {
    let backends = Backends::connect(&args.zone).await?;
    let progress = Progress::stderr();
    let request = ProvisionRequest::new(&args.instance_id, &args.subdomain, &args.zone);
    if backends.hetzner_sim.is_some() {
        progress.step("offline: provisioning the instance first");
        provision(&backends, &request, &progress).await?;
        if args.release {
            examples::quarantine::quarantine(&backends, &request, &progress).await?;
        }
    }
    let steps = if args.release {
        examples::quarantine::release(&backends, &request, &progress).await?
    } else {
        examples::quarantine::quarantine(&backends, &request, &progress).await?
    };
    for line in steps.0 {
        println!("{line}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_on_error(run(Args::parse()).await)
}
