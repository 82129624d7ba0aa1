//! Writes the runbook baseline's host artifacts to a directory, one file each:
//! sshd_config, ssh_config, Caddyfile, nftables.conf, ufw.sh, daemon.json, docker-compose.yml,
//! seccomp.json, apparmor-profile, audit.rules, sysctl.conf, modprobe.conf, alerts.rules.yml.
//!
//! ```sh
//! cargo run --example render-artifacts -- --out artifacts --ssh-port 42022
//! ```
//!
//! Every file is derived from one `BaselineParams` value, so the SSH port and the Cloudflare
//! ranges agree across them. Each is checked by its real validator in the test suite.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hardening_model::presets::baseline::{Baseline, BaselineParams};
use hardening_model::values::{Domain, Port};

/// Render the hardened host baseline's artifacts into a directory.
#[derive(Debug, Parser)]
struct Args {
    /// Directory to write the artifacts to (created if missing).
    #[arg(long, default_value = "artifacts")]
    out: PathBuf,
    /// SSH port used by sshd, ufw, nftables and the Hetzner firewall values.
    #[arg(long, default_value_t = 42022)]
    ssh_port: u16,
    /// Domain Caddy serves.
    #[arg(long, default_value = "app.example.com")]
    domain: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut params = BaselineParams::example()?;
    params.ssh_port = Port::new(args.ssh_port)?;
    params.domain = Domain::new(&args.domain)?;
    let artifacts = Baseline::new(&params)?.artifacts()?;
    fs::create_dir_all(&args.out)?;
    for artifact in &artifacts {
        let path = args.out.join(artifact.name);
        fs::write(&path, &artifact.file.content)?;
        println!(
            "{:<20} {:>6} bytes  -> host path {} (mode {})",
            artifact.name,
            artifact.file.content.len(),
            artifact.file.path,
            artifact.file.mode_string()
        );
    }
    println!(
        "wrote {} artifacts to {} (SSH port {})",
        artifacts.len(),
        args.out.display(),
        params.ssh_port
    );
    Ok(())
}
