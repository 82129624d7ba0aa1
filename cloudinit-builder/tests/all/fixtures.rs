//! The full hardened preset used by the preset tests and the functions that extract what it writes.

use std::collections::BTreeMap;
use std::io::Read as _;

use base64::Engine as _;
use cloudinit_builder::preset::*;
use cloudinit_builder::*;
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
use hardening_model::presets::firewall::cloudflare_fallback_ranges;
use hardening_model::presets::stack::StackImages;
use hardening_model::values::{Domain, Port};

use crate::support::{ADMIN_KEY, FALCO_KEY};

pub const SSH_PORT: u16 = 42022;
/// The backups' S3 secret key (the host holds no age identity at all).
pub const BACKUP_S3_SECRET: &str = "s3-secret-0b9e4f7a2c6d18e3";
/// The operator's recipient (age's documentation example).
pub const BACKUP_RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// Where the preset's backups go: Hetzner Object Storage, one prefix per host.
pub fn backup_target() -> BackupTarget {
    BackupTarget::new(
        age::AgeRecipient::new(BACKUP_RECIPIENT).unwrap(),
        ObjectStore::new(
            "https://fsn1.your-objectstorage.com",
            "fleet-backups",
            "fsn1",
        )
        .unwrap()
        .prefix("host-1")
        .unwrap(),
        S3Credentials::new(
            Secret::new("AKIDFLEETHOST1").unwrap(),
            Secret::new(BACKUP_S3_SECRET).unwrap(),
        ),
    )
}
/// The bundle signer pinned at first boot (an Ed25519 public key).
pub const CONVERGE_SIGNER: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP";
/// The converge agent's read-only store secret key.
pub const CONVERGE_S3_SECRET: &str = "s3-desired-ro-7d41c9e0a2b6";

/// The day-2 agent: bundles from the fleet's desired-state bucket.
pub fn converge_inputs() -> ConvergeInputs {
    ConvergeInputs {
        instance: "host-1".into(),
        signer_key: CONVERGE_SIGNER.into(),
        store: ObjectStore::new(
            "https://fsn1.your-objectstorage.com",
            "fleet-desired",
            "fsn1",
        )
        .unwrap()
        .prefix("app-hosts")
        .unwrap(),
        credentials: S3Credentials::new(
            Secret::new("AKIDDESIREDRO").unwrap(),
            Secret::new(CONVERGE_S3_SECRET).unwrap(),
        ),
    }
}

pub const CALLBACK_SECRET: &str = "cb-secret-5f0d6a1c9e2b47d8a3c1";
pub const LOKI_PASSWORD: &str = "loki-password-8c2e91ab";

pub fn admin() -> User {
    User::new("admin")
        .unwrap()
        .groups(["sudo"])
        .unwrap()
        .shell("/bin/bash")
        .unwrap()
        .sudo("ALL=(ALL) NOPASSWD:ALL")
        .unwrap()
        .ssh_key(SshPublicKey::new(ADMIN_KEY).unwrap())
}

/// Which optional choices a preset combination makes.
#[derive(Debug, Clone, Copy)]
pub struct Choices {
    pub wazuh: bool,
    pub falco: Option<FalcoDriver>,
}

pub const FULL: Choices = Choices {
    wazuh: true,
    falco: Some(FalcoDriver::ModernBpf),
};

fn image(name: &str, fill: char) -> ImageRef {
    ImageRef::parse(&format!("{name}@sha256:{}", fill.to_string().repeat(64))).unwrap()
}

pub const SCRAPE_PASSWORD: &str = "scrape-password-0123456789";
pub const MONITORING_KEY_BODY: &str =
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPlaceholderKeyBody";

/// The central Prometheus at 192.0.2.10 (built once: the scrape password is hashed with
/// bcrypt). The certificate is a placeholder of a real certificate's size.
pub fn monitoring() -> HostMonitoring {
    static MONITORING: std::sync::LazyLock<HostMonitoring> = std::sync::LazyLock::new(|| {
        // A fixed hash: the document's size must not depend on a random salt.
        let auth = ScrapeAuth::with_hash(
            "prometheus",
            SCRAPE_PASSWORD.into(),
            "$2b$10$Qg1u8o0CmfdvsujvUxMX9etBY0ag44bOgBl5rJGuwMmX6uR4rwofe",
        )
        .unwrap();
        let access = ExporterAccess::new(
            Port::new(9100).unwrap(),
            ["192.0.2.10/32".parse().unwrap()],
            auth,
        )
        .unwrap();
        let cert = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            "MIIB".repeat(150)
        );
        let key = Secret::new(format!(
            "-----BEGIN PRIVATE KEY-----\n{MONITORING_KEY_BODY}\n-----END PRIVATE KEY-----\n"
        ))
        .unwrap();
        HostMonitoring::new(access, &cert, key).unwrap()
    });
    MONITORING.clone()
}

/// The inputs of the full runbook preset for one choice of optional parts.
pub fn inputs(choices: Choices) -> RunbookInputs {
    inputs_with(choices, monitoring(), "203.0.113.10".parse().unwrap())
}

/// [`inputs`] scraped as `monitoring` says.
pub fn inputs_monitored(choices: Choices, monitoring: HostMonitoring) -> RunbookInputs {
    inputs_with(choices, monitoring, "203.0.113.10".parse().unwrap())
}

/// [`inputs`] with Caddy published on `bind_ip`.
pub fn inputs_binding(choices: Choices, bind_ip: std::net::IpAddr) -> RunbookInputs {
    inputs_with(choices, monitoring(), bind_ip)
}

/// [`inputs`] scraped as `monitoring` says, with Caddy published on `bind_ip`.
pub fn inputs_with(
    choices: Choices,
    monitoring: HostMonitoring,
    bind_ip: std::net::IpAddr,
) -> RunbookInputs {
    let mut inputs = RunbookInputs::new(RunbookRequired {
        admin: admin(),
        ssh_port: Port::new(SSH_PORT).unwrap(),
        cloudflare_ranges: cloudflare_fallback_ranges(),
        domain: Domain::new("app.example.com").unwrap(),
        images: StackImages {
            caddy: image("caddy:2-alpine", 'a'),
            app: image("registry.example.com/team/app:1.4.2", 'b'),
            node_exporter: image("prom/node-exporter:v1.8.2", 'c'),
        },
        app_port: Port::new(3000).unwrap(),
        bind_ip,
        callback_url: "https://control.example.com/api/instances/ready".into(),
        callback_secret: Secret::new(CALLBACK_SECRET).unwrap(),
        backup: backup_target(),
        monitoring,
    })
    .admin_sources(["203.0.113.0/24".parse().unwrap()])
    .converge(converge_inputs())
    .log_shipping(
        Alloy::new(
            "https://logs.example.com/loki/api/v1/push",
            "host-1",
            Secret::new(LOKI_PASSWORD).unwrap(),
            FALCO_KEY,
        )
        .unwrap(),
    );
    inputs = if choices.wazuh {
        inputs.integrity(
            Integrity::wazuh("wazuh.example.com", "app-hosts", FALCO_KEY, STACK_DIR).unwrap(),
            ["198.51.100.10/32".parse().unwrap()],
        )
    } else {
        inputs.integrity(Integrity::Aide, [])
    };
    if let Some(driver) = choices.falco {
        inputs = inputs.falco(Falco::new(driver, "stack-app", FALCO_KEY).unwrap());
    }
    inputs
}

/// The preset for `choices`. With Wazuh as well as every other part and the required central
/// monitoring the document is over the preset's 24 KiB target (the AIDE variant is within it,
/// see the realistic tests), so a Wazuh host is rendered within Hetzner's hard limit, as such a
/// caller would set it.
pub fn host(choices: Choices) -> HardenedHost {
    let host = HardenedHost::runbook(&inputs(choices)).unwrap();
    if choices.wazuh {
        host.budget(HETZNER_USER_DATA_LIMIT)
    } else {
        host
    }
}

/// A file as it ends up on the host, decoded from the rendered user-data.
#[derive(Debug, Clone)]
pub struct HostFile {
    pub content: Vec<u8>,
    pub permissions: String,
    pub owner: String,
}

impl HostFile {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.content).unwrap()
    }
}

/// Every `write_files` entry of rendered user-data, decoded (`b64`, `gz+b64`).
pub fn extract_files(user_data: &str) -> BTreeMap<String, HostFile> {
    let doc = crate::support::parse(user_data);
    let mut out = BTreeMap::new();
    // The early firewall's ruleset travels in bootcmd, which writes it to its path.
    for c in doc["bootcmd"].as_array().into_iter().flatten() {
        let text = c.as_str().unwrap_or_default();
        if let Some((head, body)) = text.split_once(" <<'HARDENED_NFT'\n") {
            let path = head.rsplit("cat > ").next().unwrap().to_owned();
            let content = body
                .split("HARDENED_NFT\n")
                .next()
                .unwrap()
                .as_bytes()
                .to_vec();
            out.insert(
                path,
                HostFile {
                    content,
                    permissions: "0644".into(),
                    owner: "root:root".into(),
                },
            );
        }
    }
    for f in doc["write_files"].as_array().unwrap() {
        let content = f["content"].as_str().unwrap_or_default();
        let bytes = match f.get("encoding").and_then(|e| e.as_str()) {
            None => content.as_bytes().to_vec(),
            Some("b64") => base64::engine::general_purpose::STANDARD
                .decode(content)
                .unwrap(),
            Some("gz+b64") => {
                let gz = base64::engine::general_purpose::STANDARD
                    .decode(content)
                    .unwrap();
                let mut v = Vec::new();
                flate2::read::GzDecoder::new(&gz[..])
                    .read_to_end(&mut v)
                    .unwrap();
                v
            }
            Some(other) => panic!("unexpected encoding {other}"),
        };
        out.insert(
            f["path"].as_str().unwrap().to_owned(),
            HostFile {
                content: bytes,
                permissions: f
                    .get("permissions")
                    .and_then(|p| p.as_str())
                    .unwrap_or("0644")
                    .to_owned(),
                owner: f
                    .get("owner")
                    .and_then(|o| o.as_str())
                    .unwrap_or("root:root")
                    .to_owned(),
            },
        );
    }
    out
}

/// The `runcmd` entries of rendered user-data.
pub fn runcmd(user_data: &str) -> Vec<String> {
    crate::support::parse(user_data)["runcmd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| unwrap_step(c.as_str().unwrap()))
        .collect()
}

/// A `runcmd` line without its step recorder: `hardened-step NAME ARGV...` becomes `ARGV...`,
/// and `hardened-step NAME sh -c 'CHAIN'` becomes `CHAIN`, as the part wrote them.
pub fn unwrap_step(line: &str) -> String {
    let Some(rest) = line.strip_prefix(&format!("{STEP_RUNNER} ")) else {
        return line.to_owned();
    };
    let (_, argv) = rest.split_once(' ').unwrap();
    match argv
        .strip_prefix("sh -c '")
        .and_then(|q| q.strip_suffix('\''))
    {
        // quote() writes one word as '...' with each inner ' as '\''.
        Some(quoted) => quoted.replace("'\\''", "'"),
        _ => argv.to_owned(),
    }
}
