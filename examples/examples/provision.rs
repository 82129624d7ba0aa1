//! Provision one hardened host: cloud-init, Hetzner firewall, server, proxied DNS record.
//!
//! Offline by default (built-in simulators); real with `HCLOUD_TOKEN` and
//! `CLOUDFLARE_API_TOKEN`. Re-running with the same `--instance-id` reuses what exists.
//!
//! The host's document is the runbook preset, with a ready callback and encrypted off-host
//! backups. Offline runs use a demo callback URL, a demo object store and fresh random secrets.
//! Real runs need `--callback-url`, `--callback-secret-file`, `--backup-identity-file`,
//! `--backup-endpoint`, `--backup-bucket` and `--backup-credentials-file` (access key id and
//! secret key, one per line). A secret file that does not exist yet is created with a fresh
//! value and mode 0600 (give the callback secret to the control plane; keep the identity for
//! restores: only its recipient reaches the host). Secret values are never printed.
//!
//! ```text
//! cargo run --example provision -- --instance-id inst-0042 --subdomain acme --zone example.com
//! ```

use std::process::ExitCode;

use clap::Parser;
use cloudinit_builder::preset::ObjectStore;
use examples::provision::{ProvisionRequest, provision};
use examples::secrets::{
    age_identity, age_recipient, callback_secret, load_or_create, load_s3_credentials,
};
use examples::{Backends, Error, Progress, exit_on_error};
use hardening_model::IpNet;

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
    /// Hetzner location.
    #[arg(long, default_value = "fsn1")]
    location: String,
    /// Hetzner server type.
    #[arg(long, default_value = "cx22")]
    server_type: String,
    /// Hetzner image.
    #[arg(long, default_value = "ubuntu-24.04")]
    image: String,
    /// SSH port (default: random for a new instance, the labelled one for an existing one).
    #[arg(long)]
    ssh_port: Option<u16>,
    /// Admin login name.
    #[arg(long, default_value = "admin")]
    admin_user: String,
    /// File with the admin's OpenSSH public key (required with HCLOUD_TOKEN).
    #[arg(long)]
    admin_key_file: Option<std::path::PathBuf>,
    /// CIDR allowed to reach SSH (repeatable; anywhere when omitted).
    #[arg(long = "admin-cidr")]
    admin_cidrs: Vec<IpNet>,
    /// Name of a Hetzner SSH key to attach (repeatable).
    #[arg(long = "hetzner-ssh-key")]
    hetzner_ssh_keys: Vec<String>,
    /// Caddy image pinned by digest (required with HCLOUD_TOKEN).
    #[arg(long)]
    caddy_image: Option<String>,
    /// Application image pinned by digest (required with HCLOUD_TOKEN).
    #[arg(long)]
    app_image: Option<String>,
    /// node_exporter image pinned by digest (required with HCLOUD_TOKEN).
    #[arg(long)]
    node_exporter_image: Option<String>,
    /// HTTPS URL the host POSTs its instance id and callback secret to once healthy
    /// (required with HCLOUD_TOKEN).
    #[arg(long)]
    callback_url: Option<String>,
    /// File holding the callback secret; created with a fresh one (mode 0600) if missing
    /// (required with HCLOUD_TOKEN).
    #[arg(long)]
    callback_secret_file: Option<std::path::PathBuf>,
    /// File holding the backups' age identity (AGE-SECRET-KEY-1...); created with a fresh one
    /// (mode 0600) if missing. Only its recipient goes to the host (required with HCLOUD_TOKEN).
    #[arg(long)]
    backup_identity_file: Option<std::path::PathBuf>,
    /// S3 endpoint of the backups, e.g. https://fsn1.your-objectstorage.com (required with
    /// HCLOUD_TOKEN).
    #[arg(long)]
    backup_endpoint: Option<String>,
    /// Bucket of the backups; each instance writes under its own prefix (required with
    /// HCLOUD_TOKEN).
    #[arg(long)]
    backup_bucket: Option<String>,
    /// Region of the bucket.
    #[arg(long, default_value = "fsn1")]
    backup_region: String,
    /// File with the host's S3 access key id and secret key, one per line (required with
    /// HCLOUD_TOKEN).
    #[arg(long)]
    backup_credentials_file: Option<std::path::PathBuf>,
}

async fn run(args: Args) -> examples::Result<()> {
    let backends = Backends::connect(&args.zone).await?;
    let real = backends.hetzner_sim.is_none();
    let mut request = ProvisionRequest::new(&args.instance_id, &args.subdomain, &args.zone);
    request.location = args.location;
    request.server_type = args.server_type;
    request.image = args.image;
    request.ssh_port = args.ssh_port;
    request.admin_user = args.admin_user;
    request.admin_sources = args.admin_cidrs;
    request.hetzner_ssh_keys = args.hetzner_ssh_keys;
    let required = |field: &str, value: Option<String>, demo: String| match value {
        Some(v) => Ok(v),
        None if real => Err(Error::invalid(field, "required when HCLOUD_TOKEN is set")),
        None => Ok(demo),
    };
    request.caddy_image = required("caddy_image", args.caddy_image, request.caddy_image)?;
    request.app_image = required("app_image", args.app_image, request.app_image)?;
    request.node_exporter_image = required(
        "node_exporter_image",
        args.node_exporter_image,
        request.node_exporter_image,
    )?;
    let key =
        match args.admin_key_file {
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                Error::invalid("admin_key_file", format!("{}: {e}", path.display()))
            })?),
            None => None,
        };
    request.admin_key = required(
        "admin_key_file",
        key.map(|k| k.trim().to_owned()),
        request.admin_key,
    )?;

    let progress = Progress::stderr();
    request.callback_url = required("callback_url", args.callback_url, request.callback_url)?;
    match args.callback_secret_file {
        Some(path) => {
            let (secret, generated) =
                load_or_create("callback_secret_file", &path, callback_secret)?;
            if generated {
                progress.step(format!(
                    "wrote a new secret to {} (mode 0600)",
                    path.display()
                ));
            }
            request.callback_secret = Some(secret);
        }
        None if real => {
            return Err(Error::invalid(
                "callback_secret_file",
                "required when HCLOUD_TOKEN is set",
            ));
        }
        None => {}
    }
    match args.backup_identity_file {
        Some(path) => {
            let (identity, generated) =
                load_or_create("backup_identity_file", &path, age_identity)?;
            if generated {
                progress.step(format!(
                    "wrote a new age identity to {} (mode 0600): keep it, restores need it",
                    path.display()
                ));
            }
            request.backup_recipient = Some(age_recipient(&identity)?);
        }
        None if real => {
            return Err(Error::invalid(
                "backup_identity_file",
                "required when HCLOUD_TOKEN is set",
            ));
        }
        None => {}
    }
    match (args.backup_endpoint, args.backup_bucket) {
        (Some(endpoint), Some(bucket)) => {
            request.backup_store = Some(ObjectStore::new(&endpoint, &bucket, &args.backup_region)?);
        }
        (None, None) if !real => {}
        _ => {
            return Err(Error::invalid(
                "backup_endpoint",
                "--backup-endpoint and --backup-bucket go together (required when HCLOUD_TOKEN is set)",
            ));
        }
    }
    match args.backup_credentials_file {
        Some(path) => {
            request.backup_credentials =
                Some(load_s3_credentials("backup_credentials_file", &path)?);
        }
        None if real => {
            return Err(Error::invalid(
                "backup_credentials_file",
                "required when HCLOUD_TOKEN is set",
            ));
        }
        None => {}
    }

    let summary = provision(&backends, &request, &progress).await?;
    println!("{summary}");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_on_error(run(Args::parse()).await)
}
