//! A fleet provisioned at once through one Hetzner token and its rate budget.
//!
//! On a paused tokio clock against the in-process simulators, `--instances` instances (200 by
//! default) are provisioned concurrently; their action waits are batched across flows (one
//! `GET /actions?id=…` serves up to 25 of them). The Hetzner bucket (3600 per hour) starts
//! with `--initial-burst` tokens (0 by default: spent, so the budget bounds the run). The
//! logic is `fleet_flows::fleet`; this prints its report.
//!
//! Run: `cargo run --release --example bench-fleet`. The last line is
//! `fleet: instances=N hetzner_requests_per_instance=X cloudflare_requests_per_instance=Y makespan_ratio=R duplicates=D`.
#![allow(clippy::print_stdout)]

use clap::Parser;
use fleet_flows::fleet::{FleetRun, provision_fleet};

#[derive(Debug, Parser)]
#[command(about = "Provision a fleet at once on the simulators and measure requests and makespan")]
struct Args {
    /// Instances provisioned concurrently.
    #[arg(long, default_value_t = 200)]
    instances: usize,
    /// Tokens left in the Hetzner bucket when the run starts (0 to 3600).
    #[arg(long, default_value_t = 0)]
    initial_burst: u32,
}

fn main() -> std::process::ExitCode {
    examples::init_tracing();
    let args = Args::parse();
    let run = FleetRun {
        initial_burst: args.initial_burst,
        ..FleetRun::new(args.instances)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
    examples::exit_on_error(runtime.block_on(provision_fleet(&run)).and_then(
        |report| {
            println!(
                "hetzner: {} requests ({} action polls), budget minimum {:.0} s, makespan {:.0} s (virtual)",
                report.hetzner_requests,
                report.action_polls,
                report.budget_minimum.as_secs_f64(),
                report.makespan.as_secs_f64()
            );
            println!("cloudflare: {} requests", report.cloudflare_requests);
            let met = report.hetzner_per_instance() <= 5.0 && report.makespan_ratio() <= 1.02;
            println!(
                "targets: hetzner_requests_per_instance <= 5, makespan_ratio <= 1.02, failures = 0 ({})",
                if met && report.failures == 0 { "met" } else { "MISSED" }
            );
            println!("{}", report.line());
            if report.failures > 0 {
                return Err(examples::Error::State(format!(
                    "{} of {} provisions failed",
                    report.failures, report.instances
                )));
            }
            Ok(())
        },
    ))
}
