//! Renders the full hardened first-boot document (the runbook's Appendix A with its errata
//! fixed) and prints its size against the preset's 24 KiB budget (8 KiB below Hetzner's 32 KiB
//! `user_data` limit). When the plain `#cloud-config` is too large it is sent as one gzip MIME
//! part, which cloud-init decompresses (and, if still too large, with apt repository keys fetched
//! by full fingerprint); `--cloud-config-out` writes the decompressed document too. The last line is
//! `bytes=N spare=M` (spare: bytes left below Hetzner's 32,768-byte limit; the preset keeps at
//! least 8 KiB of it).
//!
//! ```sh
//! cargo run --example render-cloud-init -- --out user-data.yaml
//! ```
//!
//! Secrets come from the environment (`CALLBACK_SECRET`, `BACKUP_S3_ACCESS_KEY_ID`,
//! `BACKUP_S3_SECRET_KEY`, `LOKI_PASSWORD`, `SCRAPE_PASSWORD`, and
//! `EXPORTER_TLS_CERT`/`EXPORTER_TLS_KEY` naming PEM files; the backups' `BACKUP_AGE_RECIPIENT`
//! is not secret and no identity is needed); without them obvious placeholders (of real size)
//! are used so the example runs offline.
//! They are written only into root-owned `0600` files of the document and never printed.

use std::path::PathBuf;

use clap::Parser;
use cloudinit_builder::age::AgeRecipient;
use cloudinit_builder::preset::{
    BackupTarget, Falco, FalcoDriver, HardenedHost, HostMonitoring, Integrity, ObjectStore,
    Promtail, RunbookInputs, RunbookRequired, S3Credentials,
};
use cloudinit_builder::{HETZNER_USER_DATA_LIMIT, Secret, SshPublicKey, User};
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
use hardening_model::presets::firewall::cloudflare_fallback_ranges;
use hardening_model::presets::stack::StackImages;
use hardening_model::values::{Domain, Port};

/// Placeholder repository key: a well-formed but meaningless OpenPGP v4 public-key packet, so
/// the document renders (and its fingerprint can be computed) offline. Replace it with the
/// real ASCII-armoured keys of the Falco and Grafana repositories.
const PLACEHOLDER_KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: placeholder, replace with the repository key\n\nmAkEAAAAARYACKs=\n-----END PGP PUBLIC KEY BLOCK-----\n";

#[derive(Parser)]
#[command(about = "Render the hardened cloud-init user-data and report its size")]
struct Args {
    /// Where to write the user-data (the exact bytes to send).
    #[arg(long, default_value = "user-data.yaml")]
    out: PathBuf,
    /// Also write the `#cloud-config` cloud-init reads (decompressed when the user-data is a
    /// gzip MIME part).
    #[arg(long)]
    cloud_config_out: Option<PathBuf>,
    /// The one SSH port (sshd, ssh.socket, ufw, nftables, DOCKER-USER, Hetzner).
    #[arg(long, default_value_t = 42022)]
    ssh_port: u16,
    /// The site Caddy serves.
    #[arg(long, default_value = "app.example.com")]
    domain: String,
    /// The admin's public key.
    #[arg(
        long,
        default_value = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4bXBsZS1rZXktZm9yLXRlc3Rz admin@example"
    )]
    admin_key: String,
    /// The control plane's ready endpoint.
    #[arg(
        long,
        default_value = "https://control.example.com/api/instances/ready"
    )]
    callback_url: String,
}

fn secret(var: &str, placeholder: &str) -> Result<Secret, cloudinit_builder::Error> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Secret::new(v),
        _ => {
            eprintln!("note: {var} not set, using a placeholder");
            Secret::new(placeholder)
        }
    }
}

/// A PEM block of `kind` from the file named by `var`, or a placeholder of a P-256 block's
/// size (`base64_len` characters that compress as little as real key material does).
fn pem(var: &str, kind: &str, base64_len: usize) -> Result<String, std::io::Error> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => std::fs::read_to_string(path),
        _ => {
            eprintln!("note: {var} not set, using a placeholder");
            const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ base64_len as u64;
            let chars: Vec<u8> = (0..base64_len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    B64[(x % 64) as usize]
                })
                .collect();
            let body: Vec<String> = chars
                .chunks(64)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            Ok(format!(
                "-----BEGIN {kind}-----\n{}\n-----END {kind}-----\n",
                body.join("\n")
            ))
        }
    }
}

fn main() -> std::process::ExitCode {
    examples::init_tracing();
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", examples::error::chain(&*err));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let image = |name: &str, fill: char| {
        ImageRef::parse(&format!("{name}@sha256:{}", fill.to_string().repeat(64)))
    };
    let admin = User::new("admin")?
        .groups(["sudo"])?
        .shell("/bin/bash")?
        .sudo("ALL=(ALL) NOPASSWD:ALL")?
        .ssh_key(SshPublicKey::new(args.admin_key.as_str())?);
    let inputs = RunbookInputs::new(RunbookRequired {
        admin,
        ssh_port: Port::new(args.ssh_port)?,
        cloudflare_ranges: cloudflare_fallback_ranges(),
        domain: Domain::new(&args.domain)?,
        images: StackImages {
            caddy: image("caddy:2-alpine", 'a')?,
            app: image("registry.example.com/team/app:1.4.2", 'b')?,
            node_exporter: image("prom/node-exporter:v1.8.2", 'c')?,
        },
        app_port: Port::new(3000)?,
        bind_ip: "0.0.0.0".parse()?,
        callback_url: args.callback_url.clone(),
        callback_secret: secret("CALLBACK_SECRET", "placeholder-callback-secret-change-me")?,
        backup: BackupTarget::new(
            AgeRecipient::new(&std::env::var("BACKUP_AGE_RECIPIENT").unwrap_or_else(|_| {
                // age's documentation recipient: replace it with your own (age-keygen -y).
                "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".to_owned()
            }))?,
            ObjectStore::new(
                "https://fsn1.your-objectstorage.com",
                "fleet-backups",
                "fsn1",
            )?
            .prefix("fleet-host")?,
            S3Credentials::new(
                secret("BACKUP_S3_ACCESS_KEY_ID", "placeholder-access-key")?,
                secret("BACKUP_S3_SECRET_KEY", "placeholder-s3-secret-key")?,
            ),
        ),
    })
    .promtail(Promtail::new(
        "https://logs.example.com/loki/api/v1/push",
        "fleet-host",
        secret("LOKI_PASSWORD", "placeholder-loki-password")?,
        PLACEHOLDER_KEY,
    )?)
    // AIDE rather than the Wazuh agent: with central monitoring its results reach Alertmanager
    // through node_exporter, with no Wazuh manager to run.
    .integrity(Integrity::Aide, [])
    .falco(Falco::new(
        FalcoDriver::ModernBpf,
        "stack-app",
        PLACEHOLDER_KEY,
    )?)
    .monitoring(HostMonitoring::new(
        ExporterAccess::new(
            Port::new(9100)?,
            ["198.51.100.20/32".parse()?],
            ScrapeAuth::new(
                "prometheus",
                secret("SCRAPE_PASSWORD", "placeholder-scrape-password")?
                    .expose()
                    .into(),
            )?,
        )?,
        &pem("EXPORTER_TLS_CERT", "CERTIFICATE", 600)?,
        Secret::new(pem("EXPORTER_TLS_KEY", "PRIVATE KEY", 184)?)?,
    )?);

    let host = HardenedHost::runbook(&inputs)?;
    let user_data = host.render()?;
    std::fs::write(&args.out, user_data.as_str())?;
    if let Some(path) = &args.cloud_config_out {
        std::fs::write(path, user_data.cloud_config())?;
    }
    let budget = host.budget_bytes();
    let form = if user_data.is_gzip_wrapped() {
        format!(
            "one gzip MIME part ({} bytes of #cloud-config inside)",
            user_data.cloud_config().len()
        )
    } else {
        format!(
            "plain #cloud-config, {} files stored as gz+b64",
            user_data.compressed_files().len()
        )
    };
    println!(
        "wrote {}: {form}, preset budget {budget} bytes, Hetzner limit {HETZNER_USER_DATA_LIMIT} bytes",
        args.out.display()
    );
    println!(
        "bytes={} spare={}",
        user_data.len(),
        HETZNER_USER_DATA_LIMIT.saturating_sub(user_data.len())
    );
    Ok(())
}
