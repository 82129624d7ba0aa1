//! Plan and apply the runbook's Cloudflare zone preset; a second plan shows no change.
//!
//! ```text
//! cargo run --example harden-zone -- --zone example.com            # plan, apply, re-plan
//! cargo run --example harden-zone -- --zone example.com --dry-run  # plan only
//! cargo run --example harden-zone -- --zone example.com --admin-ip 198.51.100.0/24
//! ```

use std::process::ExitCode;

use clap::Parser;
use examples::{Backends, Progress, exit_on_error};

/// Harden a Cloudflare zone with the runbook preset (errata fixed), idempotently.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The zone to harden.
    #[arg(long, default_value = "example.com")]
    zone: String,
    /// Only show the plan.
    #[arg(long)]
    dry_run: bool,
    /// An admin or office address or CIDR (repeatable): kept in the account list `$admin_ips`,
    /// the only sources allowed to reach `/admin`.
    #[arg(long = "admin-ip", value_name = "IP_OR_CIDR")]
    admin_ips: Vec<String>,
}

async fn run(args: Args) -> examples::Result<()> {
    let backends = Backends::connect(&args.zone).await?;
    let progress = Progress::stderr();
    let options = cloudflare_client::hardening::preset::RunbookOptions {
        admin_ips: args.admin_ips.clone(),
        ..Default::default()
    };
    let outcome =
        examples::zone::harden_zone_with(&backends, &args.zone, &options, args.dry_run, &progress)
            .await?;
    for line in examples::zone::describe(&outcome) {
        println!("{line}");
    }
    if !args.dry_run {
        // Run it again, as a second invocation would: nothing is left to do.
        let again =
            examples::zone::harden_zone_with(&backends, &args.zone, &options, false, &progress)
                .await?;
        println!("second run:");
        for line in examples::zone::describe(&again) {
            println!("  {line}");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    exit_on_error(run(Args::parse()).await)
}
