//! Audits a directory laid out like a host's `/` against the runbook's Appendix B checklist.
//!
//! ```sh
//! cargo run --example audit -- --root /            # the running host (read-only)
//! cargo run --example audit -- --root copy-of-host --json
//! ```
//!
//! Prints a table (or JSON with `--json`) with pass / fail / unknown per check and a summary
//! line. Exits with status 1 when a check of critical severity fails, 2 on bad arguments.
//! Command output the audit can use in addition to files (`sshd -T`, `ufw status verbose`)
//! goes under `ROOT/run/hardening-audit/` (see `hardening_model::audit::captures`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hardening_model::audit::{self, DirHost};

/// Audit a host's files against the hardening checklist.
#[derive(Debug, Parser)]
#[command(name = "audit")]
struct Args {
    /// Directory laid out like the host's `/` (e.g. DIR/etc/ssh/sshd_config).
    #[arg(long, value_name = "DIR")]
    root: PathBuf,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    examples::init_tracing();
    let args = Args::parse();
    if !args.root.is_dir() {
        eprintln!("audit: {} is not a directory", args.root.display());
        return ExitCode::from(2);
    }
    let report = audit::audit(&DirHost::new(&args.root));
    if args.json {
        match report.to_json() {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("audit: could not encode the report: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", report.to_table());
    }
    if report.has_critical_failure() {
        eprintln!(
            "audit: {} critical check(s) failed",
            report.summary.critical_failures
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
