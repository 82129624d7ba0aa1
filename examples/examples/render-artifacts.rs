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
//!
//! With `--central DIR --ca CA.pem --target HOST:PORT...` it also writes the monitoring
//! server's files (`prometheus.yml`, the rules and their `promtool test rules` file,
//! `alertmanager.yml`) for `/etc/prometheus`; the scrape password and the PagerDuty routing key
//! come from `SCRAPE_PASSWORD` and `PAGERDUTY_ROUTING_KEY` (placeholders when unset) and only
//! reach the two files written with mode `0600`.

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
    /// Also write the monitoring server's files to this directory.
    #[arg(long, requires = "ca")]
    central: Option<PathBuf>,
    /// PEM file of the CA that issued the exporters' TLS certificates (with `--central`).
    #[arg(long)]
    ca: Option<PathBuf>,
    /// An exporter to scrape, `HOST:PORT` (repeatable, with `--central`).
    #[arg(long = "target")]
    targets: Vec<String>,
}

fn secret(var: &str, placeholder: &str) -> hardening_model::monitoring::SecretString {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v.into(),
        _ => {
            eprintln!("note: {var} not set, using a placeholder");
            placeholder.into()
        }
    }
}

/// The monitoring server's files, written with their modes.
fn write_central(
    dir: &std::path::Path,
    ca: &std::path::Path,
    targets: &[String],
) -> Result<(), Box<dyn std::error::Error>> {
    use hardening_model::monitoring::{
        CENTRAL_CONFIG_DIR, CentralMonitoring, Escalation, Receiver, ScrapeAuth,
    };
    use std::os::unix::fs::PermissionsExt;
    let auth = ScrapeAuth::new(
        "prometheus",
        secret("SCRAPE_PASSWORD", "placeholder-scrape-password"),
    )?;
    let chain = Escalation::new(Receiver::pagerduty(secret(
        "PAGERDUTY_ROUTING_KEY",
        "placeholder-routing-key",
    ))?);
    let mut central = CentralMonitoring::new(auth, &fs::read_to_string(ca)?, chain)?;
    for t in targets {
        let (host, port) = t
            .rsplit_once(':')
            .ok_or_else(|| format!("--target {t}: expected HOST:PORT"))?;
        central = central.target(host, port.parse()?)?;
    }
    for file in central.render()? {
        let rel = file
            .path
            .trim_start_matches(CENTRAL_CONFIG_DIR)
            .trim_start_matches('/');
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        // Create with the final mode before writing: a secret is never readable by others.
        fs::write(&path, "")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(file.mode))?;
        fs::write(&path, &file.content)?;
        println!(
            "{:<36} {:>6} bytes  -> {} (mode {})",
            rel,
            file.content.len(),
            file.path,
            file.mode_string()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    examples::init_tracing();
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
    if let (Some(dir), Some(ca)) = (&args.central, &args.ca) {
        write_central(dir, ca, &args.targets)?;
    }
    Ok(())
}
