//! The hardened first-boot document for one host, derived from one set of policy values.
//!
//! The document is cloudinit-builder's runbook preset, [`HardenedHost::runbook`], and nothing
//! else: its ordering (sshd validated before the socket restart, Docker after the firewall,
//! mounts and auditd last), backups and ready callback come with it. This module only turns
//! the example's policy values into [`RunbookInputs`].
//!
//! The SSH port, the admin user and the Cloudflare ranges are given once and reach sshd,
//! `ssh.socket`, ufw, nftables, DOCKER-USER, the Caddy allow-list and (through
//! [`HostPolicy::firewall_policy`]) the Hetzner Cloud firewall.

use std::net::IpAddr;

use cloudinit_builder::preset::{
    BackupTarget, HardenedHost, HostMonitoring, RunbookInputs, RunbookRequired,
};
use cloudinit_builder::{Secret, SshPublicKey, User, UserData};
use hardening_model::firewall::FirewallPolicy;
use hardening_model::presets::{self, stack::StackImages};
use hardening_model::sshd::{CaPublicKey, Principal};
use hardening_model::values::{Domain, Port, UnixUser};
use ipnet::IpNet;

use crate::error::{Error, Result};

/// Placeholder images for offline runs. Their digests are not real: pin your own images with
/// `--caddy-image`, `--app-image` and `--node-exporter-image` before provisioning for real.
pub const DEMO_CADDY_IMAGE: &str =
    "caddy:2.10@sha256:0000000000000000000000000000000000000000000000000000000000000001";
/// Placeholder application image (see [`DEMO_CADDY_IMAGE`]).
pub const DEMO_APP_IMAGE: &str = "ghcr.io/example/app:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000002";
/// Placeholder node_exporter image (see [`DEMO_CADDY_IMAGE`]).
pub const DEMO_NODE_EXPORTER_IMAGE: &str = "prom/node-exporter:v1.9.1@sha256:0000000000000000000000000000000000000000000000000000000000000003";
/// A documentation-only admin key for offline runs.
pub const DEMO_ADMIN_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGUtYWRtaW4ta2V5LXJlcGxhY2UtaXQtbm93 admin@example";
/// The object store of offline runs (Hetzner Object Storage in Falkenstein; nothing is sent).
pub const DEMO_BACKUP_ENDPOINT: &str = "https://fsn1.your-objectstorage.com";
/// The bucket of offline runs.
pub const DEMO_BACKUP_BUCKET: &str = "hardened-fleet-backups";
/// The region of offline runs.
pub const DEMO_BACKUP_REGION: &str = "fsn1";
/// The monitoring server of offline runs: a documentation address (RFC 5737), never a real
/// Prometheus. Real runs name their own (`--monitoring-cidr`).
pub const DEMO_MONITORING_SOURCE: &str = "192.0.2.10/32";
/// The port node_exporter serves on (TLS and basic auth), open to the monitoring server only.
pub const EXPORTER_PORT: u16 = 9100;
/// The admin source of offline runs when none, no bastion and no CA is given (a documentation
/// range: nothing there can reach a host). Against the real API such a request is refused.
pub const DEMO_ADMIN_SOURCE: &str = "198.51.100.0/24";
/// The port the application listens on inside its container.
pub const APP_PORT: u16 = 3000;
/// The control plane's ready endpoint in offline runs (`--callback-url` for real runs).
pub const DEMO_CALLBACK_URL: &str = "https://control.example.com/ready";

/// The policy values of one host.
///
/// `Debug` shows the secrets as `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// sshd's port, the same everywhere.
    pub ssh_port: Port,
    /// The only login.
    pub admin_user: UnixUser,
    /// Its OpenSSH public key line.
    pub admin_key: String,
    /// The admins' networks allowed to reach SSH.
    pub admin_sources: Vec<IpNet>,
    /// The bastion's addresses (runbook 3.6), allowed to reach SSH too.
    pub bastion_sources: Vec<IpNet>,
    /// The SSH user CA and the admin's principals: certificate-only login (runbook 3.5).
    pub ssh_ca: Option<(CaPublicKey, Vec<Principal>)>,
    /// Cloudflare's edge ranges: the only sources of HTTP(S).
    pub cloudflare_ranges: Vec<IpNet>,
    /// The one address Caddy's ports are published on: the server's public IPv4 (never
    /// `0.0.0.0`, docker-bench 5.14), made as a primary IP before the server.
    pub caddy_bind: IpAddr,
    /// The site Caddy serves.
    pub domain: Domain,
    /// Digest-pinned images of the stack.
    pub images: StackImages,
    /// Where the host POSTs its instance id and [`HostPolicy::callback_secret`] once the app
    /// is healthy (HTTPS).
    pub callback_url: String,
    /// Proves the ready callback comes from this host; written to a root-only `0600` file.
    pub callback_secret: Secret,
    /// Where the backups go: the age recipient (the identity stays with the operator), the
    /// object store with this host's prefix, and its keys (written to a root-only `0600` file).
    pub backup: BackupTarget,
    /// How the central Prometheus scrapes the host (its addresses, the scrape credentials, the
    /// exporter's TLS certificate and key): every host is watched.
    pub monitoring: HostMonitoring,
}

impl HostPolicy {
    /// The firewall policy: ufw, nftables, DOCKER-USER and the Hetzner rules all come from it.
    ///
    /// It is the call [`HardenedHost::runbook`] makes for the host's own firewall, with the
    /// same values (this host runs no Wazuh agent, so there are no manager egress rules) and
    /// the monitoring server's scrape rule, so the Hetzner firewall and the host firewall
    /// cannot differ.
    ///
    /// # Errors
    /// A rejected value, naming its field (e.g. `firewall.cloudflare_ranges`).
    pub fn firewall_policy(&self) -> Result<FirewallPolicy> {
        Ok(presets::firewall::baseline(
            self.ssh_port,
            &self.ssh_sources(),
            &self.cloudflare_ranges,
            None,
        )?
        .with_inbound(self.monitoring.access().firewall_rule())?)
    }

    /// The inputs of the runbook preset: the admin (sudo, SSH key, no password), the values
    /// above, the app on [`APP_PORT`] and Caddy published on [`HostPolicy::caddy_bind`] only
    /// (the firewalls admit only Cloudflare's ranges there).
    ///
    /// # Errors
    /// A rejected value, naming its field (e.g. `admin_key`).
    pub fn runbook_inputs(&self) -> Result<RunbookInputs> {
        let key = SshPublicKey::new(self.admin_key.as_str())
            .map_err(|e| Error::invalid("admin_key", e.to_string()))?;
        let admin = User::new(self.admin_user.as_str())?
            .groups(["sudo"])?
            .shell("/bin/bash")?
            .sudo("ALL=(ALL) NOPASSWD:ALL")?
            .ssh_key(key);
        let inputs = RunbookInputs::new(RunbookRequired {
            admin,
            ssh_port: self.ssh_port,
            cloudflare_ranges: self.cloudflare_ranges.clone(),
            domain: self.domain.clone(),
            images: self.images.clone(),
            app_port: Port::new(APP_PORT)?,
            bind_ip: self.caddy_bind,
            callback_url: self.callback_url.clone(),
            callback_secret: self.callback_secret.clone(),
            backup: self.backup.clone(),
            monitoring: self.monitoring.clone(),
        })
        .admin_sources(self.admin_sources.iter().copied())
        .bastion(self.bastion_sources.iter().copied());
        Ok(match &self.ssh_ca {
            Some((ca, principals)) => inputs.ssh_ca(ca.clone(), principals.iter().cloned()),
            None => inputs,
        })
    }

    /// Every source SSH is admitted from: the admin sources, then the bastion's addresses
    /// (what [`HardenedHost::runbook`] admits on the host).
    pub fn ssh_sources(&self) -> Vec<IpNet> {
        self.admin_sources
            .iter()
            .chain(&self.bastion_sources)
            .copied()
            .collect()
    }

    /// The runbook preset for this host ([`HardenedHost::runbook`]).
    ///
    /// # Errors
    /// A rejected value, naming its field (e.g. `ready.callback_url`).
    pub fn hardened_host(&self) -> Result<HardenedHost> {
        Ok(HardenedHost::runbook(&self.runbook_inputs()?)?)
    }

    /// The rendered user-data, within Hetzner's 32 KiB user_data limit: the `#cloud-config`
    /// itself when it fits, otherwise one gzip MIME part that cloud-init decompresses
    /// ([`UserData::cloud_config`] gives the document back).
    ///
    /// # Errors
    /// A rejected value, or a document that cannot fit even compressed.
    pub fn user_data(&self) -> Result<UserData> {
        Ok(self.hardened_host()?.render()?)
    }
}
