//! The full hardened preset used by the preset tests and its extraction helpers.

use std::collections::BTreeMap;
use std::io::Read as _;

use base64::Engine as _;
use cloudinit_builder::preset::*;
use cloudinit_builder::*;
use hardening_model::RenderedFile;
use hardening_model::presets::firewall::{baseline, cloudflare_fallback_ranges};
use hardening_model::values::Port;

use crate::support::{ADMIN_KEY, FALCO_KEY};

pub const SSH_PORT: u16 = 42022;
pub const BACKUP_IDENTITY: &str =
    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
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

pub fn host(choices: Choices) -> HardenedHost {
    let policy = baseline(
        Port::new(SSH_PORT).unwrap(),
        &["203.0.113.0/24".parse().unwrap()],
        &cloudflare_fallback_ranges(),
        choices
            .wazuh
            .then_some(&["198.51.100.10/32".parse().unwrap()][..]),
    )
    .unwrap();
    let mut host = HardenedHost::new(admin())
        .set(Firewall::new(policy))
        .set(sshd_part())
        .set(DockerEngine::new([RenderedFile::root(
            "/etc/docker/daemon.json",
            0o644,
            "{\n  \"icc\": false,\n  \"no-new-privileges\": true,\n  \"live-restore\": true,\n  \"userland-proxy\": false\n}\n",
        )]))
        .set(stack_part())
        .set(
            Promtail::new(
                "https://logs.example.com/loki/api/v1/push",
                "host-1",
                Secret::new(LOKI_PASSWORD).unwrap(),
                FALCO_KEY,
            )
            .unwrap(),
        )
        .set(
            Backups::new("/srv/app/data", "/srv/app", Secret::new(BACKUP_IDENTITY).unwrap())
                .unwrap(),
        )
        .set(
            ReadyCallback::new(
                "http://127.0.0.1:3000/health",
                "https://control.example.com/api/instances/ready",
                Secret::new(CALLBACK_SECRET).unwrap(),
            )
            .unwrap(),
        );
    host = if choices.wazuh {
        host.set(Integrity::wazuh("wazuh.example.com", "app-hosts", FALCO_KEY, "/srv/app").unwrap())
    } else {
        host.set(Integrity::Aide)
    };
    if let Some(driver) = choices.falco {
        host = host.set(Falco::new(driver, "app", FALCO_KEY).unwrap());
    }
    host
}

pub fn sshd_part() -> Sshd {
    Sshd::new(
        [RenderedFile::root(
            "/etc/ssh/sshd_config.d/10-hardening.conf",
            0o644,
            format!(
                "Port {SSH_PORT}\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nAllowUsers admin\nMaxAuthTries 3\nLoginGraceTime 20\n\
                 HostKey /etc/ssh/ssh_host_ed25519_key\nKexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256\n"
            ),
        )],
        [RenderedFile::root(
            "/etc/systemd/system/ssh.socket.d/10-port.conf",
            0o644,
            format!(
                "[Socket]\nListenStream=\nListenStream=0.0.0.0:{SSH_PORT}\nListenStream=[::]:{SSH_PORT}\n"
            ),
        )],
    )
}

pub fn stack_part() -> ComposeStack {
    ComposeStack::new(
        "/srv/app",
        RenderedFile::root(
            "/srv/app/compose.yaml",
            0o644,
            "services:\n  caddy:\n    image: caddy@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    ports:\n      - \"80:80\"\n      - \"443:443\"\n    read_only: true\n    security_opt:\n      - no-new-privileges:true\n    volumes:\n      - ./Caddyfile:/etc/caddy/Caddyfile:ro\n  app:\n    image: ghcr.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111\n    read_only: true\n    cap_drop: [ALL]\n    security_opt:\n      - no-new-privileges:true\n    volumes:\n      - ./data:/app/data\n",
        ),
        [RenderedFile::root(
            "/srv/app/Caddyfile",
            0o644,
            "{\n\tadmin off\n}\n\napp.example.com {\n\treverse_proxy app:3000\n}\n",
        )],
    )
    .unwrap()
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
                permissions: f["permissions"].as_str().unwrap().to_owned(),
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
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}
