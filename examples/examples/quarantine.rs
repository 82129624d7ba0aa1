//! Quarantine a compromised host, containment first: deny-all firewall with every allow
//! firewall detached (label selectors included), then its DNS records removed, then a forensic
//! snapshot. `--release` reverses it (the snapshot is kept).
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
use examples::quarantine::{quarantine, release};
use examples::{Backends, Progress, exit_on_error, init_tracing};

/// Cut a host off (deny-all firewall, DNS records removed, forensic snapshot), or release it.
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
    let request = ProvisionRequest::new(&args.instance_id, &args.subdomain, &args.zone);
    request.validate()?;
    let backends = Backends::connect(&args.zone).await?;
    let progress = Progress::stderr();
    if backends.hetzner_sim.is_some() {
        progress.step("offline: provisioning the instance first");
        provision(&backends, &request, &progress).await?;
        if args.release {
            quarantine(&backends, &request, &progress).await?;
        }
    }
    if args.release {
        for line in release(&backends, &request, &progress).await?.0 {
            println!("{line}");
        }
    } else {
        print!("{}", quarantine(&backends, &request, &progress).await?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    exit_on_error(run(Args::parse()).await)
}
