//! DOCKER-USER rendering: the policy applied to container traffic (runbook 4.3, erratum 7).
//!
//! Docker publishes ports by DNAT, so traffic to containers and from them traverses the
//! `FORWARD` chain, where ufw's rules and `ufw default deny outgoing` do not apply. Docker jumps
//! to the `DOCKER-USER` chain before its own rules; this rendering fills it (IPv4 with
//! `iptables`, IPv6 with `ip6tables`):
//!
//! 1. with [`MetadataProtection`](super::MetadataProtection) (the default), container packets
//!    to link-local addresses (`169.254.0.0/16`, where the metadata service lives, and
//!    `fe80::/10`) are dropped before anything else;
//! 2. established/related traffic returns to Docker's chains;
//! 3. new connections arriving on the public interface are matched on their **original**
//!    destination port (`-m conntrack --ctorigdstport`, the port before Docker's DNAT, so a
//!    changed container port mapping cannot open or close anything), rate-limited per source
//!    with `hashlimit --hashlimit-mode srcip` (IPv6 per /64) where the rule says so, and returned to Docker's
//!    chains when the policy allows them; everything else from the public interface is dropped;
//! 4. with an egress allow-list, new connections leaving through the public interface are
//!    returned when allowed and dropped otherwise (this is what stops a compromised container
//!    from calling out, which ufw's egress rules cannot do).
//!
//! Allowed traffic `RETURN`s rather than `ACCEPT`s, so Docker's own rules still decide (an
//! unpublished port stays closed). The chain is flushed first, so running the script again
//! gives the same chain. Docker re-creates `DOCKER-USER` empty on a fresh boot: [`systemd_unit`] runs
//! the script each time `docker.service` starts (enable it with [`boot_commands`]). Nothing here
//! needs iptables-persistent (erratum 4).

use std::fmt::Write as _;

use ipnet::IpNet;

use super::policy::FirewallPolicy;
use super::rule::{Protocol, Rule};
use crate::RenderedFile;
use crate::command;

/// Where [`FirewallPolicy::docker_user_script`] is installed.
pub const SCRIPT_PATH: &str = "/usr/local/sbin/hardening-docker-user.sh";

/// Where [`systemd_unit`] is installed.
pub const UNIT_PATH: &str = "/etc/systemd/system/hardening-docker-user.service";

/// The chain Docker reserves for user rules.
pub const CHAIN: &str = "DOCKER-USER";

/// The systemd unit that applies the DOCKER-USER rules whenever Docker starts.
pub fn systemd_unit() -> RenderedFile {
    RenderedFile::root(
        UNIT_PATH,
        0o644,
        format!(
            "[Unit]\n\
             Description=Firewall rules for container traffic (DOCKER-USER)\n\
             After=docker.service\n\
             Requires=docker.service\n\
             PartOf=docker.service\n\n\
             [Service]\n\
             Type=oneshot\n\
             RemainAfterExit=yes\n\
             ExecStart={SCRIPT_PATH}\n\n\
             [Install]\n\
             WantedBy=docker.service\n"
        ),
    )
}

/// Commands that enable [`systemd_unit`] and apply it now (cloud-init `runcmd` data).
pub fn boot_commands() -> Vec<Vec<String>> {
    [
        ["systemctl", "daemon-reload"].as_slice(),
        &["systemctl", "enable", "hardening-docker-user.service"],
        &["systemctl", "restart", "hardening-docker-user.service"],
    ]
    .iter()
    .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
    .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn tool(self) -> &'static str {
        match self {
            Self::V4 => "iptables",
            Self::V6 => "ip6tables",
        }
    }
    fn icmp(self) -> &'static str {
        match self {
            Self::V4 => "icmp",
            Self::V6 => "ipv6-icmp",
        }
    }
    fn holds(self, net: &IpNet) -> bool {
        matches!(
            (self, net),
            (Self::V4, IpNet::V4(_)) | (Self::V6, IpNet::V6(_))
        )
    }
}

impl FirewallPolicy {
    /// The iptables/ip6tables command lines filling `DOCKER-USER`, in order (see the
    /// [module docs](self)). Every command starts with `iptables -w` or `ip6tables -w`.
    ///
    /// ```
    /// use hardening_model::firewall::{FirewallPolicy, Rule, SshAccess};
    /// use hardening_model::values::Port;
    /// let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
    ///     .inbound(Rule::tcp(443))
    ///     .outbound(Rule::udp(53))
    ///     .build()
    ///     .unwrap();
    /// let lines: Vec<String> = p.docker_user_commands().iter().map(|c| c.join(" ")).collect();
    /// assert!(lines.contains(&"iptables -w -A DOCKER-USER -i eth0 -p tcp -m conntrack --ctstate NEW --ctorigdstport 443 -j RETURN".to_owned()));
    /// assert!(lines.contains(&"ip6tables -w -A DOCKER-USER -o eth0 -j DROP".to_owned()));
    /// ```
    pub fn docker_user_commands(&self) -> Vec<Vec<String>> {
        let mut cmds = Vec::new();
        let iface = self.public_interface();
        for family in [Family::V4, Family::V6] {
            let base = |rest: &[&str]| -> Vec<String> {
                [family.tool(), "-w", "-A", CHAIN]
                    .iter()
                    .chain(rest)
                    .map(|s| (*s).to_owned())
                    .collect()
            };
            cmds.push(
                [family.tool(), "-w", "-F", CHAIN]
                    .map(str::to_owned)
                    .to_vec(),
            );
            if let Some(guard) = self.metadata() {
                let net = guard.docker_user_blocked(family == Family::V6).to_string();
                cmds.push(base(&["-d", &net, "-j", "DROP"]));
            }
            cmds.push(base(&[
                "-m",
                "conntrack",
                "--ctstate",
                "ESTABLISHED,RELATED",
                "-j",
                "RETURN",
            ]));
            for (i, rule) in self.inbound_with_ssh().iter().enumerate() {
                let name = if i == 0 {
                    "hardening-ssh".to_owned()
                } else {
                    format!("hardening-in{}", i - 1)
                };
                push_rule(&mut cmds, family, iface, rule, false, &name);
            }
            cmds.push(base(&["-i", iface, "-j", "DROP"]));
            if self.egress_restricted() {
                for rule in self.outbound() {
                    push_rule(&mut cmds, family, iface, rule, true, "");
                }
                cmds.push(base(&["-o", iface, "-j", "DROP"]));
            }
            cmds.push(base(&["-j", "RETURN"]));
        }
        cmds
    }

    /// The DOCKER-USER script: POSIX `sh`, `set -eu`, every argument single-quoted; creates
    /// the chain when Docker has not yet, then runs
    /// [`docker_user_commands`](Self::docker_user_commands). Installed at [`SCRIPT_PATH`],
    /// mode 0750, run by [`systemd_unit`].
    pub fn docker_user_script(&self) -> RenderedFile {
        let mut out = String::from(
            "#!/bin/sh\n\
             # Container traffic firewall (DOCKER-USER), rendered by hardening-model from one\n\
             # FirewallPolicy. Published ports and container egress are forwarded, so ufw's\n\
             # rules do not see them; these rules do.\n\
             set -eu\n",
        );
        for tool in ["iptables", "ip6tables"] {
            let _ = writeln!(
                out,
                "{} 2>/dev/null || true",
                command::line([tool, "-w", "-N", CHAIN])
            );
        }
        for cmd in self.docker_user_commands() {
            out.push_str(&command::line(&cmd));
            out.push('\n');
        }
        RenderedFile::root(SCRIPT_PATH, 0o750, out)
    }
}

/// Appends the commands of one rule for one family (nothing when the rule lists peers of the
/// other family only).
fn push_rule(
    cmds: &mut Vec<Vec<String>>,
    family: Family,
    iface: &str,
    rule: &Rule,
    outbound: bool,
    limit_name: &str,
) {
    let peers: Vec<Option<IpNet>> = if rule.peer_list().is_empty() {
        vec![None]
    } else {
        let own: Vec<_> = rule
            .peer_list()
            .iter()
            .filter(|n| family.holds(n))
            .copied()
            .map(Some)
            .collect();
        if own.is_empty() {
            return;
        }
        own
    };
    let mut head: Vec<String> = [family.tool(), "-w", "-A", CHAIN]
        .map(str::to_owned)
        .to_vec();
    head.extend([
        if outbound { "-o" } else { "-i" }.to_owned(),
        iface.to_owned(),
    ]);
    let proto = match rule.protocol() {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => family.icmp(),
    };
    head.extend(["-p".to_owned(), proto.to_owned()]);
    head.extend(["-m", "conntrack", "--ctstate", "NEW"].map(str::to_owned));
    if let Some(ports) = rule.ports() {
        // iptables writes ranges as START:END.
        let port = if ports.is_single() {
            ports.start().to_string()
        } else {
            format!("{}:{}", ports.start(), ports.end())
        };
        if outbound {
            head.extend(["--dport".to_owned(), port]);
        } else {
            head.extend(["--ctorigdstport".to_owned(), port]);
        }
    }
    for peer in peers {
        let mut cmd = head.clone();
        if let Some(net) = peer {
            cmd.extend([
                if outbound { "-d" } else { "-s" }.to_owned(),
                net.to_string(),
            ]);
        }
        if let (Some(limit), false) = (rule.rate_limit(), outbound) {
            let mut drop = cmd.clone();
            drop.extend(
                [
                    "-m",
                    "hashlimit",
                    "--hashlimit-mode",
                    "srcip",
                    "--hashlimit-name",
                    limit_name,
                    "--hashlimit-above",
                ]
                .map(str::to_owned),
            );
            drop.push(format!("{}/minute", limit.per_minute()));
            if family == Family::V6 {
                // One bucket per /64, as in the nftables meters.
                drop.extend(["--hashlimit-srcmask".to_owned(), "64".to_owned()]);
            }
            drop.extend(["--hashlimit-burst".to_owned(), limit.burst().to_string()]);
            drop.extend(["-j".to_owned(), "DROP".to_owned()]);
            cmds.push(drop);
        }
        if let Some(text) = rule.description() {
            cmd.extend(["-m", "comment", "--comment"].map(str::to_owned));
            // iptables comments hold at most 255 bytes.
            let mut end = text.len().min(255);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            cmd.push(text[..end].to_owned());
        }
        cmd.extend(["-j".to_owned(), "RETURN".to_owned()]);
        cmds.push(cmd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{RateLimit, Rule, SshAccess};
    use crate::values::Port;

    fn lines(p: &FirewallPolicy) -> Vec<String> {
        p.docker_user_commands()
            .iter()
            .map(|c| c.join(" "))
            .collect()
    }

    #[test]
    fn inbound_uses_original_port_and_per_source_limits() {
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .inbound(
                Rule::tcp(443)
                    .peers([
                        "173.245.48.0/20".parse().unwrap(),
                        "2400:cb00::/32".parse().unwrap(),
                    ])
                    .describe("HTTPS")
                    .rate_limited(RateLimit::new(150, 50).unwrap()),
            )
            .public_interface("enp1s0")
            .build()
            .unwrap();
        let l = lines(&p);
        assert!(l.contains(&"iptables -w -A DOCKER-USER -i enp1s0 -p tcp -m conntrack --ctstate NEW --ctorigdstport 443 -s 173.245.48.0/20 -m hashlimit --hashlimit-mode srcip --hashlimit-name hardening-in0 --hashlimit-above 150/minute --hashlimit-burst 50 -j DROP".to_owned()));
        assert!(l.contains(&"ip6tables -w -A DOCKER-USER -i enp1s0 -p tcp -m conntrack --ctstate NEW --ctorigdstport 443 -s 2400:cb00::/32 -m comment --comment HTTPS -j RETURN".to_owned()));
        assert!(
            !l.iter()
                .any(|x| x.starts_with("iptables") && x.contains("2400:cb00"))
        );
        // No egress allow-list: nothing is dropped on the way out.
        assert!(!l.iter().any(|x| x.contains("-o enp1s0")));
        assert_eq!(l.last().unwrap(), "ip6tables -w -A DOCKER-USER -j RETURN");
    }

    #[test]
    fn egress_allow_list_covers_containers() {
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .outbound(Rule::tcp_range(1514, 1515).describe("Wazuh"))
            .outbound(Rule::icmp())
            .build()
            .unwrap();
        let l = lines(&p);
        let allow = l
            .iter()
            .position(|x| x == "iptables -w -A DOCKER-USER -o eth0 -p tcp -m conntrack --ctstate NEW --dport 1514:1515 -m comment --comment Wazuh -j RETURN")
            .unwrap();
        let drop = l
            .iter()
            .position(|x| x == "iptables -w -A DOCKER-USER -o eth0 -j DROP")
            .unwrap();
        assert!(allow < drop);
        assert!(l.contains(&"ip6tables -w -A DOCKER-USER -o eth0 -p ipv6-icmp -m conntrack --ctstate NEW -j RETURN".to_owned()));
    }

    #[test]
    fn script_and_unit() {
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .build()
            .unwrap();
        let s = p.docker_user_script();
        assert_eq!(s.mode, 0o750);
        assert!(
            s.content
                .contains("\nset -eu\niptables -w -N DOCKER-USER 2>/dev/null || true\n")
        );
        assert!(s.content.contains("iptables -w -F DOCKER-USER\n"));
        assert!(
            systemd_unit()
                .content
                .contains(&format!("ExecStart={SCRIPT_PATH}\n"))
        );
        assert!(systemd_unit().content.contains("WantedBy=docker.service\n"));
    }
}
