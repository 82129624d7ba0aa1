//! Provision one hardened host: cloud-init, Hetzner firewall, server, proxied DNS record.
//!
//! Offline by default (built-in simulators); real with `HCLOUD_TOKEN` and
//! `CLOUDFLARE_API_TOKEN`. Re-running with the same `--instance-id` reuses what exists.
//!
//! The host's document is the runbook preset, with a ready callback and encrypted off-host
//! backups. Offline runs use a demo callback URL, a demo object store and fresh random secrets.
//! Real runs need `--callback-url`, `--callback-secret-file`, `--backup-identity-file`,
//! `--backup-endpoint`, `--backup-bucket` and `--backup-credentials-file` (access key id and
//! secret key, one per line), and the central monitoring: `--monitoring-cidr` (the Prometheus
//! that scrapes node_exporter; offline runs use the documentation address 192.0.2.10),
//! `--monitoring-cert-file`, `--monitoring-key-file` and `--scrape-password-file`. A secret file that does not exist yet is created with a fresh
//! value and mode 0600 (give the callback secret to the control plane; keep the identity for
//! restores: only its recipient reaches the host). Secret values are never printed.
//!
//! ```text
//! cargo run --example provision -- --instance-id inst-0042 --subdomain acme --zone example.com
//! ```

use std::process::ExitCode;

use clap::Parser;
use examples::cli::HostArgs;
use examples::provision::provision;
use examples::{Backends, Progress, exit_on_error, init_tracing};

/// Provision one hardened Ubuntu 24.04 host on Hetzner Cloud behind Cloudflare.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Stable instance id (lowercase letters, digits, '-'); re-runs with it reuse what exists.
    #[arg(long, default_value = "inst-0001")]
    instance_id: String,
    /// Customer subdomain (one DNS label) below --zone.
    #[arg(long, default_value = "demo")]
    subdomain: String,
    /// Cloudflare zone the record goes into.
    #[arg(long, default_value = "example.com")]
    zone: String,
    #[command(flatten)]
    host: HostArgs,
}

async fn run(args: Args) -> examples::Result<()> {
    // no request and no file before every input is checked
    let backends = Backends::from_env(&args.zone)?;
    let inputs = args
        .host
        .inputs(args.instance_id, args.subdomain, args.zone);
    let prepared = inputs.prepare(backends.hetzner_sim.is_none())?;
    let progress = Progress::stderr();
    for path in prepared.write_secrets()? {
        progress.step(format!(
            "wrote a new secret to {} (mode 0600): keep it",
            path.display()
        ));
    }
    backends.verify_cloudflare_token().await?;
    let summary = provision(&backends, &prepared.request, &progress).await?;
    println!("{summary}");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    exit_on_error(run(Args::parse()).await)
}
