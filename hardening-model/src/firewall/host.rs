//! Everything a host needs to apply a [`FirewallPolicy`] at first boot, as data for cloud-init
//! (`packages`, `write_files`, `runcmd`).

use super::policy::FirewallPolicy;
use super::{docker_user, nftables, ufw};
use crate::RenderedFile;

/// Which host-side layers to install. The Hetzner firewall is applied through the API and is
/// not part of this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLayers {
    /// ufw for the host's own traffic (`ufw.sh`).
    pub ufw: bool,
    /// The nftables table (`/etc/nftables.conf`, loaded at boot by `nftables.service`).
    pub nftables: bool,
    /// DOCKER-USER rules for container traffic (script and systemd unit). Needs Docker.
    pub docker_user: bool,
}

impl Default for HostLayers {
    /// All three layers: they are derived from the same policy, so they agree.
    fn default() -> Self {
        Self {
            ufw: true,
            nftables: true,
            docker_user: true,
        }
    }
}

/// Packages, files and commands that install the chosen layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFirewall {
    /// Packages to install. Never contains `iptables-persistent` or `netfilter-persistent`
    /// (erratum 4: they conflict with ufw).
    pub packages: Vec<&'static str>,
    /// Files to write before running [`commands`](Self::commands).
    pub files: Vec<RenderedFile>,
    /// Commands to run in order, as argv (for cloud-init `runcmd`, which quotes them).
    pub commands: Vec<Vec<String>>,
}

impl FirewallPolicy {
    /// The host side of the policy: packages, files and commands for the chosen layers.
    ///
    /// ```
    /// use hardening_model::firewall::{FirewallPolicy, SshAccess, host::HostLayers};
    /// use hardening_model::values::Port;
    /// let host = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
    ///     .build()
    ///     .unwrap()
    ///     .host_firewall(HostLayers::default());
    /// assert_eq!(host.packages, ["ufw", "nftables"]);
    /// assert!(host.files.iter().any(|f| f.path == "/etc/nftables.conf"));
    /// assert!(host.commands.contains(&vec!["systemctl".to_owned(), "enable".to_owned(), "nftables.service".to_owned()]));
    /// ```
    pub fn host_firewall(&self, layers: HostLayers) -> HostFirewall {
        let mut host = HostFirewall {
            packages: Vec::new(),
            files: Vec::new(),
            commands: Vec::new(),
        };
        if layers.ufw {
            host.packages.push("ufw");
            let script = self.ufw_script();
            host.commands.push(vec![script.path.clone()]);
            host.files.push(script);
        }
        if layers.nftables {
            host.packages.push("nftables");
            host.files.push(self.nftables_conf());
            host.files.push(nftables::service_dropin());
            host.commands.extend(nftables::boot_commands());
        }
        if layers.docker_user {
            host.files.push(self.docker_user_script());
            host.files.push(docker_user::systemd_unit());
            host.commands.extend(docker_user::boot_commands());
        }
        debug_assert!(
            host.packages
                .iter()
                .all(|p| !ufw::CONFLICTING_PACKAGES.contains(p))
        );
        host
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::SshAccess;
    use crate::values::Port;

    #[test]
    fn layers_select_files_and_never_persistent_packages() {
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .build()
            .unwrap();
        let all = p.host_firewall(HostLayers::default());
        assert_eq!(all.files.len(), 5);
        assert_eq!(all.commands[0], [ufw::SCRIPT_PATH]);
        assert!(
            all.packages
                .iter()
                .all(|p| !ufw::CONFLICTING_PACKAGES.contains(p))
        );
        let nft_only = p.host_firewall(HostLayers {
            ufw: false,
            nftables: true,
            docker_user: false,
        });
        assert_eq!(nft_only.packages, ["nftables"]);
        assert_eq!(
            nft_only
                .files
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>(),
            [nftables::CONF_PATH, nftables::DROPIN_PATH]
        );
    }
}
