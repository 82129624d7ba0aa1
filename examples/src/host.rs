//! The hardened first-boot document for one host, derived from one set of policy values.
//!
//! The SSH port, the admin user and the Cloudflare ranges are given once and reach sshd,
//! `ssh.socket`, ufw, nftables, DOCKER-USER, the Caddy allow-list and (through
//! [`HostPolicy::firewall_policy`]) the Hetzner Cloud firewall.

use std::net::{IpAddr, Ipv4Addr};

use cloudinit_builder::command::quote;
use cloudinit_builder::preset::{
    ComposeStack, DockerEngine, Firewall, HardenedHost, RenderedPart, Slot, Sshd, Stage,
};
use cloudinit_builder::{SshPublicKey, User, UserData};
use hardening_model::command::HostCommand;
use hardening_model::docker::apparmor::APPARMOR_DIR;
use hardening_model::firewall::FirewallPolicy;
use hardening_model::presets::{self, stack::StackImages};
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
pub const DEMO_ADMIN_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEXAMPLEXAMPLEXAMPLEXAMPLEXAMPLEXAMPL admin@example";
/// The port the application listens on inside its container.
pub const APP_PORT: u16 = 3000;

/// Where the stack's compose project lives on the host.
const STACK_DIR: &str = "/opt/stack";
const MONITORING_DIR: &str = "/opt/monitoring";

/// The policy values of one host.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// sshd's port, the same everywhere.
    pub ssh_port: Port,
    /// The only login.
    pub admin_user: UnixUser,
    /// Its OpenSSH public key line.
    pub admin_key: String,
    /// Who may reach SSH (anywhere when empty; the SSH port is still rate-limited per source).
    pub admin_sources: Vec<IpNet>,
    /// Cloudflare's edge ranges: the only sources of HTTP(S).
    pub cloudflare_ranges: Vec<IpNet>,
    /// The site Caddy serves.
    pub domain: Domain,
    /// Digest-pinned images of the stack.
    pub images: StackImages,
}

impl HostPolicy {
    /// The firewall policy: ufw, nftables, DOCKER-USER and the Hetzner rules all come from it.
    ///
    /// # Errors
    /// A rejected value, naming its field (e.g. `firewall.cloudflare_ranges`).
    pub fn firewall_policy(&self) -> Result<FirewallPolicy> {
        Ok(presets::firewall::baseline(
            self.ssh_port,
            &self.admin_sources,
            &self.cloudflare_ranges,
            None,
        )?)
    }

    /// The hardened host preset with every part this example uses.
    ///
    /// # Errors
    /// A rejected value, naming its field.
    pub fn hardened_host(&self) -> Result<HardenedHost> {
        let key = SshPublicKey::new(self.admin_key.as_str())
            .map_err(|e| Error::invalid("admin_key", e.to_string()))?;
        let admin = User::new(self.admin_user.as_str())?
            .groups(["sudo"])?
            .shell("/bin/bash")?
            .sudo("ALL=(ALL) NOPASSWD:ALL")?
            .ssh_key(key);

        let sshd = presets::host::sshd(self.ssh_port, std::slice::from_ref(&self.admin_user))?;
        let sshd_part = Sshd::new([sshd.render()?], [sshd.socket().dropin()]);

        let stack_files = presets::stack::render_all(
            &self.images,
            self.domain.clone(),
            Port::new(APP_PORT)?,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            &self.cloudflare_ranges,
        )?;
        let (mut daemon, mut compose, mut monitoring, mut others) =
            (Vec::new(), None, Vec::new(), Vec::new());
        for file in stack_files {
            match file.path.as_str() {
                "/etc/docker/daemon.json" => daemon.push(file),
                presets::stack::COMPOSE_PATH => compose = Some(file),
                p if p.starts_with(MONITORING_DIR) || p.contains("prometheus") => {
                    monitoring.push(file);
                }
                _ => others.push(file),
            }
        }
        let compose =
            compose.ok_or_else(|| Error::invalid("stack.compose", "renderer produced no file"))?;
        let profiles: Vec<String> = others
            .iter()
            .filter(|f| f.path.starts_with(APPARMOR_DIR))
            .map(|f| f.path.clone())
            .collect();
        let stack = ComposeStack::new(STACK_DIR, compose, others)?.apparmor_profiles(profiles)?;

        let monitoring_part = RenderedPart::new(Slot::NodeExporter)
            .files(monitoring)
            .command(
                Stage::Monitoring,
                [
                    "docker",
                    "compose",
                    "--project-directory",
                    MONITORING_DIR,
                    "-f",
                    presets::stack::MONITORING_COMPOSE_PATH,
                    "up",
                    "-d",
                ],
            )?;

        let sysctl = presets::host::sysctl();
        let sysctl_part = RenderedPart::new(Slot::Sysctl)
            .files(sysctl.files())
            .command(Stage::Kernel, ["sysctl", "--system"])?;
        let modules_part =
            RenderedPart::new(Slot::KernelModules).file(presets::host::kernel_modules().render());
        let mounts = presets::host::mounts();
        let mounts_part = with_commands(
            RenderedPart::new(Slot::Mounts).files(mounts.files()),
            Stage::Kernel,
            &mounts.commands(),
        )?;
        let auditd_part = RenderedPart::new(Slot::Auditd)
            .package("auditd")
            .file(presets::host::audit_rules().render())
            .command(Stage::Services, ["augenrules", "--load"])?;
        let upgrades_part = RenderedPart::new(Slot::UnattendedUpgrades)
            .package("unattended-upgrades")
            .files(presets::host::unattended_upgrades().files()?);
        let chrony = presets::host::chrony();
        let mut chrony_part = RenderedPart::new(Slot::Chrony).file(chrony.render()?);
        for p in chrony.packages() {
            chrony_part = chrony_part.package(p);
        }
        let chrony_part = with_commands(chrony_part, Stage::Services, &chrony.commands())?;
        let services_part = with_commands(
            RenderedPart::new(Slot::Services),
            Stage::Services,
            &presets::host::disabled_services().commands(),
        )?;

        Ok(HardenedHost::new(admin)
            .set(sysctl_part)
            .set(modules_part)
            .set(mounts_part)
            .set(auditd_part)
            .set(upgrades_part)
            .set(chrony_part)
            .set(services_part)
            .set(sshd_part)
            .set(Firewall::new(self.firewall_policy()?))
            .set(DockerEngine::new(daemon))
            .set(stack)
            .set(monitoring_part))
    }

    /// The rendered `#cloud-config`, within Hetzner's 32 KiB user_data limit.
    ///
    /// # Errors
    /// A rejected value, or a document that cannot fit even compressed.
    pub fn user_data(&self) -> Result<UserData> {
        Ok(self.hardened_host()?.render()?)
    }
}

/// Adds hardening-model's host commands to a part: argv quoted; steps that may fail harmlessly
/// (e.g. disabling a unit that is not installed) get `|| true`.
fn with_commands(
    mut part: RenderedPart,
    stage: Stage,
    commands: &[HostCommand],
) -> Result<RenderedPart> {
    for c in commands {
        if c.may_fail {
            let line: Vec<String> = c.argv.iter().map(|a| quote(a).into_owned()).collect();
            part = part.command(stage, ["sh", "-c", &format!("{} || true", line.join(" "))])?;
        } else {
            part = part.command(stage, c.argv.iter().cloned())?;
        }
    }
    Ok(part)
}
