//! Plan and apply the runbook's Cloudflare zone preset; a second plan shows no change.
//!
//! ```text
//! cargo run --example harden-zone -- --zone example.com            # plan, apply, re-plan
//! cargo run --example harden-zone -- --zone example.com --dry-run  # plan only
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
}

async fn run(args: Args) -> examples::Result<()> {
    let backends = Backends::from_env(&args.zone)?;
    let progress = Progress::stderr();
    let outcome =
        examples::zone::harden_zone(&backends, &args.zone, args.dry_run, &progress).await?;
    for line in examples::zone::describe(&outcome) {
        println!("{line}");
    }
    if !args.dry_run {
        // Run it again, as a second invocation would: nothing is left to do.
        let again = examples::zone::harden_zone(&backends, &args.zone, false, &progress).await?;
        println!("second run:");
        for line in examples::zone::describe(&again) {
            println!("  {line}");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_on_error(run(Args::parse()).await)
}
