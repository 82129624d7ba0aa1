//! Retire (deprovision) an instance: DNS records, server, firewall, and public IPs by
//! `--keep-ips`; forensic snapshots are kept. Safe to re-run.
//!
//! Offline, the example first provisions the instance in the simulator so there is one to
//! retire.
//!
//! ```text
//! cargo run --example retire -- --instance-id inst-0042 --subdomain acme --zone example.com
//! ```

use std::process::ExitCode;

use clap::Parser;
use examples::provision::{ProvisionRequest, provision};
use examples::retire::{IpRetention, RetirePolicy, retire};
use examples::{Backends, Progress, exit_on_error, init_tracing};

/// Remove an instance's DNS records, server, firewall and IPs.
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
    /// Keep the server's primary IPs (they stay billed until deleted by hand).
    #[arg(long)]
    keep_ips: bool,
}

async fn run(args: Args) -> examples::Result<()> {
    let request = ProvisionRequest::new(&args.instance_id, &args.subdomain, &args.zone);
    request.validate()?;
    let policy = RetirePolicy {
        ips: if args.keep_ips {
            IpRetention::Keep
        } else {
            IpRetention::Delete
        },
    };
    let backends = Backends::connect(&args.zone).await?;
    let progress = Progress::stderr();
    if backends.hetzner_sim.is_some() {
        progress.step("offline: provisioning the instance first");
        provision(&backends, &request, &progress).await?;
    }
    print!("{}", retire(&backends, &request, policy, &progress).await?);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    exit_on_error(run(Args::parse()).await)
}
