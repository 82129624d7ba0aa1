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
//! Third-party parts need their repository's armoured signing key: `--falco-key FILE` adds
//! Falco, `--grafana-key FILE` adds Grafana Alloy shipping the journal (containers and Caddy's
//! access log included) and auditd's log to the Loki push URL `--loki-url` (password from
//! `LOKI_PASSWORD`); without them those parts
//! are left out (said on stderr), so the example runs out of the box. `--target debian-13`
//! renders for Debian 13 instead of Ubuntu 24.04. `--converge-signer 'ssh-ed25519 AAAA...'`
//! adds the day-2 converge agent, pinning that bundle signer (its read-only store keys from
//! `CONVERGE_S3_ACCESS_KEY_ID`/`CONVERGE_S3_SECRET_KEY`). Central monitoring is always on:
//! `--monitoring-server CIDR` is the Prometheus that scrapes node_exporter (default
//! `192.0.2.10/32`, a documentation address to replace). The user-data holds secrets: it is
//! written with mode `0600`.
//!
//! Secrets come from the environment (`CALLBACK_SECRET`, `BACKUP_S3_ACCESS_KEY_ID`,
//! `BACKUP_S3_SECRET_KEY`, `LOKI_PASSWORD`, `SCRAPE_PASSWORD`, and
//! `EXPORTER_TLS_CERT`/`EXPORTER_TLS_KEY` naming PEM files; the backups' `BACKUP_AGE_RECIPIENT`
//! is not secret and no identity is needed); without them obvious placeholders (of real size)
//! are used so the example runs offline.
//! They are written only into root-owned `0600` files of the document and never printed.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use cloudinit_builder::age::AgeRecipient;
use cloudinit_builder::preset::{
    Alloy, BackupTarget, ConvergeInputs, Falco, FalcoDriver, HardenedHost, HostMonitoring,
    Integrity, ObjectStore, RunbookInputs, RunbookRequired, S3Credentials, Target,
};
use cloudinit_builder::{HETZNER_USER_DATA_LIMIT, Secret, SshPublicKey, User};
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
use hardening_model::presets::firewall::cloudflare_fallback_ranges;
use hardening_model::presets::stack::StackImages;
use hardening_model::sshd::{CaPublicKey, Principal};
use hardening_model::values::{Domain, Port};

use examples::{Error, Result};

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
    /// Networks SSH is admitted from (repeat the flag); the default is a documentation range.
    /// SSH is never open to every address: with no admin network, bastion or CA the render is
    /// refused.
    #[arg(long, default_value = "203.0.113.0/24")]
    admin_cidr: Vec<String>,
    /// The bastion's addresses (repeat the flag): SSH is admitted from them too.
    #[arg(long)]
    bastion_cidr: Vec<String>,
    /// The SSH user CA's public key (`ssh-ed25519 AAAA...`): certificate-only login.
    #[arg(long)]
    ssh_ca: Option<String>,
    /// The principals the admin's certificates carry (with `--ssh-ca`; repeat the flag).
    #[arg(long, default_value = "fleet-admins")]
    ssh_principal: Vec<String>,
    /// The server's public address, the only one Caddy is published on (default: a
    /// documentation address; `0.0.0.0` is refused).
    #[arg(long, default_value = "203.0.113.10")]
    bind_ip: std::net::IpAddr,
    /// The distribution: `ubuntu-24.04` (default) or `debian-13`.
    #[arg(long, default_value = "ubuntu-24.04")]
    target: String,
    /// Falco's armoured repository key (adds Falco).
    #[arg(long)]
    falco_key: Option<PathBuf>,
    /// Grafana's armoured repository key (adds Grafana Alloy shipping logs to Loki).
    #[arg(long)]
    grafana_key: Option<PathBuf>,
    /// Loki's push URL for Alloy (with `--grafana-key`).
    #[arg(long, default_value = "https://logs.example.com/loki/api/v1/push")]
    loki_url: String,
    /// The control plane's ready endpoint.
    #[arg(
        long,
        default_value = "https://control.example.com/api/instances/ready"
    )]
    callback_url: String,
    /// The central Prometheus's address (CIDR): the only source the firewall admits to
    /// node_exporter's port. The default is a documentation address (RFC 5737): give your
    /// monitoring server's.
    #[arg(long, default_value = "192.0.2.10/32")]
    monitoring_server: String,
    /// The bundle signer's public key (`ssh-ed25519 AAAA...`): adds the day-2 converge agent,
    /// which applies only bundles this key signed.
    #[arg(long)]
    converge_signer: Option<String>,
}

fn secret(var: &str, placeholder: &str) -> Result<Secret> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(Secret::new(v)?),
        _ => {
            eprintln!("note: {var} not set, using a placeholder");
            Ok(Secret::new(placeholder)?)
        }
    }
}

fn io(what: &Path, e: std::io::Error) -> Error {
    Error::State(format!("{}: {e}", what.display()))
}

/// Writes `bytes` to `path` with mode 0600 (also when the file already existed).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io(path, e))?;
    file.write_all(bytes).map_err(|e| io(path, e))
}

fn key_file(path: &Option<PathBuf>, part: &str) -> Result<Option<String>> {
    match path {
        Some(p) => Ok(Some(std::fs::read_to_string(p).map_err(|e| io(p, e))?)),
        None => {
            eprintln!("note: no repository key given, {part} is left out");
            Ok(None)
        }
    }
}

/// A PEM block of `kind` from the file named by `var`, or a placeholder of a P-256 block's
/// size (`base64_len` characters that compress as little as real key material does).
fn pem(var: &str, kind: &str, base64_len: usize) -> Result<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => {
            std::fs::read_to_string(&path).map_err(|e| io(Path::new(&path), e))
        }
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

fn main() -> ExitCode {
    examples::init_tracing();
    examples::exit_on_error(run(&Args::parse()))
}

fn run(args: &Args) -> Result<()> {
    let target = match args.target.as_str() {
        "ubuntu-24.04" => Target::Ubuntu2404,
        "debian-13" => Target::Debian13,
        _ => {
            return Err(Error::invalid(
                "target",
                "must be ubuntu-24.04 or debian-13",
            ));
        }
    };
    let parse_net = |s: &str| -> Result<hardening_model::IpNet> {
        s.parse()
            .map_err(|_| Error::invalid("network", format!("{s} is not a CIDR")))
    };
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
        bind_ip: args.bind_ip,
        callback_url: args.callback_url.clone(),
        callback_secret: secret("CALLBACK_SECRET", "placeholder-callback-secret-change-me")?,
        monitoring: HostMonitoring::new(
            ExporterAccess::new(
                Port::new(9100)?,
                [parse_net(&args.monitoring_server)?],
                ScrapeAuth::new(
                    "prometheus",
                    secret("SCRAPE_PASSWORD", "placeholder-scrape-password")?
                        .expose()
                        .into(),
                )?,
            )?,
            &pem("EXPORTER_TLS_CERT", "CERTIFICATE", 600)?,
            Secret::new(pem("EXPORTER_TLS_KEY", "PRIVATE KEY", 184)?)?,
        )?,
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
    .target(target)
    // AIDE rather than the Wazuh agent: with central monitoring its results reach Alertmanager
    // through node_exporter, with no Wazuh manager to run.
    .integrity(Integrity::Aide, []);

    let nets = |list: &[String]| {
        list.iter()
            .map(|s| parse_net(s))
            .collect::<Result<Vec<_>>>()
    };
    let mut inputs = inputs
        .admin_sources(nets(&args.admin_cidr)?)
        .bastion(nets(&args.bastion_cidr)?);
    if let Some(ca) = &args.ssh_ca {
        let principals = args
            .ssh_principal
            .iter()
            .map(|p| Principal::new(p.as_str()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        inputs = inputs.ssh_ca(CaPublicKey::parse(ca)?, principals);
    }
    if let Some(key) = key_file(&args.grafana_key, "log shipping (Alloy)")? {
        inputs = inputs.log_shipping(Alloy::new(
            &args.loki_url,
            "fleet-host",
            secret("LOKI_PASSWORD", "placeholder-loki-password")?,
            &key,
        )?);
    }
    if let Some(key) = key_file(&args.falco_key, "Falco")? {
        inputs = inputs.falco(Falco::new(FalcoDriver::ModernBpf, "stack-app", &key)?);
    }

    if let Some(signer) = &args.converge_signer {
        inputs = inputs.converge(ConvergeInputs {
            instance: "fleet-host".into(),
            signer_key: signer.clone(),
            store: ObjectStore::new(
                "https://fsn1.your-objectstorage.com",
                "fleet-desired",
                "fsn1",
            )?
            .prefix("app-hosts")?,
            credentials: S3Credentials::new(
                secret(
                    "CONVERGE_S3_ACCESS_KEY_ID",
                    "placeholder-converge-access-key",
                )?,
                secret("CONVERGE_S3_SECRET_KEY", "placeholder-converge-secret-key")?,
            ),
        });
    }

    let host = HardenedHost::runbook(&inputs)?;
    let user_data = host.render()?;
    write_private(&args.out, user_data.as_str().as_bytes())?;
    if let Some(path) = &args.cloud_config_out {
        write_private(path, user_data.cloud_config().as_bytes())?;
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
