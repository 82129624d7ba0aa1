//! [`Baseline`]: the whole runbook baseline for one host, derived from one set of parameters.
//!
//! This is where "one policy, many renderings" is tied together: the SSH port given once in
//! [`BaselineParams::ssh_port`] reaches sshd, the `ssh.socket` drop-in, ufw, nftables,
//! DOCKER-USER and the Hetzner firewall values; the Cloudflare ranges given once reach the
//! Hetzner firewall values, Caddy's origin allow-list and its `trusted_proxies`.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::caddy::{Caddyfile, Upstream};
use crate::docker::{AppArmorProfile, ComposeFile, DaemonConfig, SeccompProfile};
use crate::firewall::FirewallPolicy;
use crate::monitoring::{ALERT_RULES_PATH, AlertRules, ExporterAccess, ScrapeAuth};
use crate::presets::host::HostBaseline;
use crate::presets::stack::{self, StackImages};
use crate::sshd::{AdminSshConfig, HostName};
use crate::values::{AbsPath, Domain, Port, UnixUser};
use crate::{RenderedFile, Result};

/// What differs from one host to the next; everything else is the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineParams {
    /// The SSH port, used by every layer.
    pub ssh_port: Port,
    /// Admin accounts allowed to log in over SSH (`AllowUsers`).
    pub admin_users: Vec<UnixUser>,
    /// Where admins connect from (a bastion's address); empty admits SSH from anywhere, still
    /// rate limited per source address.
    pub admin_sources: Vec<IpNet>,
    /// Cloudflare's IPv4 and IPv6 ranges (from `cloudflare-client`'s IP-ranges call, or
    /// [`crate::presets::firewall::cloudflare_fallback_ranges`] offline).
    pub cloudflare_ranges: Vec<IpNet>,
    /// Wazuh managers the host may reach on 1514-1515, when Wazuh is used.
    pub wazuh_managers: Option<Vec<IpNet>>,
    /// The site's domain served by Caddy.
    pub domain: Domain,
    /// The digest-pinned images of the stack.
    pub images: StackImages,
    /// The port the application listens on inside its network.
    pub app_port: Port,
    /// The host address Caddy publishes 80/443 on.
    pub bind_ip: IpAddr,
    /// The bastion admins jump through, for the admin `ssh_config`.
    pub bastion: HostName,
    /// The bastion's SSH port.
    pub bastion_port: Port,
    /// How the central Prometheus scrapes the host (node_exporter's port, the monitoring
    /// server's addresses, the scrape credentials): monitoring is part of the baseline.
    pub monitoring: ExporterAccess,
}

/// Every policy of the baseline, each a public field that may be adjusted before rendering.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// sshd, sysctl, kernel modules, mounts, auditd, unattended-upgrades, chrony, services.
    pub host: HostBaseline,
    /// Host and cloud firewall.
    pub firewall: FirewallPolicy,
    /// Admin workstation `ssh_config` (bastion ProxyJump).
    pub admin_ssh: AdminSshConfig,
    /// `/etc/docker/daemon.json`.
    pub daemon: DaemonConfig,
    /// The Caddy + application compose stack.
    pub compose: ComposeFile,
    /// The application's seccomp profile.
    pub seccomp: SeccompProfile,
    /// The application's AppArmor profile.
    pub apparmor: AppArmorProfile,
    /// The Caddyfile.
    pub caddyfile: Caddyfile,
    /// node_exporter compose file (scraped over TLS and basic auth).
    pub monitoring: ComposeFile,
    /// Prometheus alert rules (for the monitoring server).
    pub alerts: AlertRules,
}

/// One named artifact of the baseline (the names `render-artifacts` writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Short file name, e.g. `sshd_config` or `nftables.conf`.
    pub name: &'static str,
    /// The rendered file with its path on the host.
    pub file: RenderedFile,
}

impl Baseline {
    /// Builds every policy from `params`.
    ///
    /// ```
    /// use hardening_model::presets::baseline::{Baseline, BaselineParams};
    /// let baseline = Baseline::new(&BaselineParams::example().unwrap()).unwrap();
    /// assert_eq!(baseline.firewall.ssh_port(), baseline.host.sshd.port());
    /// ```
    pub fn new(params: &BaselineParams) -> Result<Self> {
        let host = HostBaseline::new(params.ssh_port, &params.admin_users)?;
        let firewall = super::firewall::baseline(
            params.ssh_port,
            &params.admin_sources,
            &params.cloudflare_ranges,
            params.wazuh_managers.as_deref(),
        )?
        .with_inbound(params.monitoring.firewall_rule())?;
        let admin_user = params
            .admin_users
            .first()
            .cloned()
            .ok_or_else(|| crate::Error::new("baseline.admin_users", crate::Problem::Empty))?;
        let admin_ssh = super::host::admin_ssh_config(
            params.bastion.clone(),
            params.bastion_port,
            params.ssh_port,
            admin_user,
        )?;
        let compose = stack::compose_stack(
            params.images.caddy.clone(),
            params.images.app.clone(),
            params.app_port,
            params.bind_ip,
        )?;
        let app = compose
            .service(stack::APP_SERVICE)
            .ok_or_else(|| crate::Error::new("compose.services.app", crate::Problem::Empty))?;
        let apparmor = stack::apparmor_profile(app)?;
        let caddyfile = stack::caddyfile(
            params.domain.clone(),
            Upstream::new(stack::APP_SERVICE, params.app_port)?,
            &params.cloudflare_ranges,
        )?;
        Ok(Self {
            host,
            firewall,
            admin_ssh,
            daemon: stack::daemon_config(),
            compose,
            seccomp: stack::seccomp_profile()?,
            apparmor,
            caddyfile,
            monitoring: stack::monitoring_compose(
                params.images.node_exporter.clone(),
                &params.monitoring,
            )?,
            alerts: stack::alert_rules()?,
        })
    }

    /// The SSH port every layer uses.
    pub fn ssh_port(&self) -> Port {
        self.firewall.ssh_port()
    }

    /// The named artifacts: sshd_config, ssh_config, Caddyfile, nftables.conf, ufw.sh,
    /// daemon.json, docker-compose.yml, seccomp.json, apparmor-profile, audit.rules,
    /// sysctl.conf, modprobe.conf, alerts.rules.yml.
    pub fn artifacts(&self) -> Result<Vec<Artifact>> {
        let ssh_config = RenderedFile::root("~/.ssh/config", 0o600, self.admin_ssh.render()?);
        let named = [
            ("sshd_config", self.host.sshd.render()?),
            ("ssh_config", ssh_config),
            (
                "Caddyfile",
                self.caddyfile.render_at(stack::CADDYFILE_HOST_PATH)?,
            ),
            ("nftables.conf", self.firewall.nftables_conf()),
            ("ufw.sh", self.firewall.ufw_script()),
            ("daemon.json", self.daemon.render()?),
            (
                "docker-compose.yml",
                self.compose.render_at(stack::COMPOSE_PATH)?,
            ),
            (
                "seccomp.json",
                self.seccomp
                    .render(&AbsPath::new(stack::APP_SECCOMP_PATH)?)?,
            ),
            ("apparmor-profile", self.apparmor.render()),
            ("audit.rules", self.host.audit.render()),
            ("sysctl.conf", self.host.sysctl.render()),
            ("modprobe.conf", self.host.kernel_modules.render()),
            ("alerts.rules.yml", self.alerts.render_at(ALERT_RULES_PATH)?),
        ];
        Ok(named
            .into_iter()
            .map(|(name, file)| Artifact { name, file })
            .collect())
    }
}

impl BaselineParams {
    /// Example parameters with documentation addresses (RFC 5737), `app.example.com` and
    /// Cloudflare's published ranges; used by the examples and tests. The image digests are
    /// placeholders of the right shape, not real images; the monitoring server is 192.0.2.10
    /// with an example scrape password.
    pub fn example() -> Result<Self> {
        let image = |name: &str, tag: &str, fill: char| {
            let digest = format!("sha256:{}", fill.to_string().repeat(64));
            crate::docker::ImageRef::new(name, Some(tag), &digest)
        };
        let net = |cidr: &str| {
            cidr.parse::<IpNet>()
                .map_err(|_| crate::Error::invalid("baseline.admin_sources", "not a CIDR network"))
        };
        Ok(Self {
            ssh_port: Port::new(42022)?,
            admin_users: vec![UnixUser::new("deploy")?],
            admin_sources: vec![net("203.0.113.10/32")?],
            cloudflare_ranges: super::firewall::cloudflare_fallback_ranges(),
            wazuh_managers: None,
            domain: Domain::new("app.example.com")?,
            images: StackImages {
                caddy: image("caddy", "2.8", 'a')?,
                app: image("ghcr.io/example/app", "1.0.0", 'b')?,
                node_exporter: image("prom/node-exporter", "v1.8.2", 'c')?,
            },
            app_port: Port::new(3000)?,
            bind_ip: IpAddr::from([0, 0, 0, 0]),
            bastion: HostName::Ip(IpAddr::from([203, 0, 113, 10])),
            bastion_port: Port::new(22)?,
            monitoring: ExporterAccess::new(
                Port::new(9100)?,
                [net("192.0.2.10/32")?],
                ScrapeAuth::new("prometheus", "example-scrape-password-0123".into())?,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_ssh_port_everywhere() {
        let mut params = BaselineParams::example().unwrap();
        params.ssh_port = Port::new(50123).unwrap();
        let b = Baseline::new(&params).unwrap();
        assert_eq!(b.host.sshd.port().get(), 50123);
        assert_eq!(b.host.sshd.socket().port().get(), 50123);
        assert_eq!(b.ssh_port().get(), 50123);
        let artifacts = b.artifacts().unwrap();
        let text = |n: &str| &artifacts.iter().find(|a| a.name == n).unwrap().file.content;
        assert!(text("sshd_config").contains("Port 50123"));
        assert!(text("nftables.conf").contains("50123"));
        assert!(text("ufw.sh").contains("50123"));
        assert!(text("ssh_config").contains("50123"));
    }

    #[test]
    fn thirteen_named_artifacts() {
        let b = Baseline::new(&BaselineParams::example().unwrap()).unwrap();
        let names: Vec<_> = b.artifacts().unwrap().iter().map(|a| a.name).collect();
        assert_eq!(names.len(), 13);
    }
}
