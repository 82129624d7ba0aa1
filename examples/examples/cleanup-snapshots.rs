//! Delete stale snapshots by label: a dry run unless `--yes` is given.
//!
//! ```text
//! cargo run --example cleanup-snapshots -- --selector role=nightly --older-than-hours 48
//! cargo run --example cleanup-snapshots -- --selector role=nightly --older-than-hours 48 --yes
//! ```

use std::process::ExitCode;

use clap::Parser;
use examples::{Backends, Error, exit_on_error};
use hetzner_client::LabelSelector;

/// Delete snapshots older than a given age that match a label selector.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Label selector the snapshots must match (e.g. `role=nightly`).
    #[arg(long, default_value = "role=nightly")]
    selector: String,
    /// Snapshots older than this many hours are stale.
    #[arg(long, default_value_t = 48)]
    older_than_hours: u64,
    /// Really delete (the default is a dry run).
    #[arg(long)]
    yes: bool,
}

async fn run(args: Args) -> examples::Result<()> {
    let selector = LabelSelector::parse(&args.selector)
        .map_err(|e| Error::invalid("selector", e.to_string()))?;
    if selector.is_empty() {
        return Err(Error::invalid(
            "selector",
            "must not be empty (it would match every snapshot)",
        ));
    }
    let max_age = examples::snapshots::max_age_hours(args.older_than_hours)?;
    let backends = Backends::connect("example.com").await?;
    examples::demo::seed_snapshots(&backends)?;
    let dry_run = !args.yes;
    let report = examples::snapshots::cleanup(&backends, &selector, max_age, dry_run).await?;
    for line in examples::snapshots::describe(&report, dry_run) {
        println!("{line}");
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(Error::State(format!(
            "{} snapshot(s) could not be deleted",
            report.failed.len()
        )))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    exit_on_error(run(Args::parse()).await)
}
