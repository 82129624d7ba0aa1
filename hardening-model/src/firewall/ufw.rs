//! ufw rendering: argv command lines and a POSIX `sh` script (runbook 4.1 and 4.4).
//!
//! Departures from the runbook, each for a documented reason:
//! - **No iptables-persistent** (erratum 4): Debian's and Ubuntu's `ufw` package declares
//!   `Breaks: iptables-persistent, netfilter-persistent`, and CIS Ubuntu 24.04 4.2.2 wants them
//!   apart. ufw persists its own rules; [`CONFLICTING_PACKAGES`] lists what must never be
//!   installed next to it.
//! - **`IPT_SYSCTL` blanked** (erratum 4): on every start ufw applies `/etc/ufw/sysctl.conf`,
//!   which sets `log_martians=0` and overrides `/etc/sysctl.d`. The script first runs
//!   [`NEUTRALISE_IPT_SYSCTL`] (`sed` setting `IPT_SYSCTL=` in `/etc/default/ufw`), as dev-sec's
//!   `os_hardening` does; ufw skips its sysctl file when the variable is empty, leaving
//!   `/etc/sysctl.d` in charge.
//! - **Egress allow-list on the public interface** (runbook 4.4): the allowed `out on IFACE`
//!   rules, DHCP client traffic (v4 and v6, which the host needs to renew its lease), then
//!   `deny out on IFACE`. The default outgoing policy stays `allow` so that traffic to loopback,
//!   Docker bridges and private networks keeps working, exactly as in the nftables rendering;
//!   the runbook's `default deny outgoing` also blocked the host's own connections to its
//!   containers and its DHCP renewals. ufw's `OUTPUT` chains do not see container traffic
//!   (erratum 7): the DOCKER-USER rendering covers that path.
//! - **ICMP rules are not emitted**: ufw's CLI has no `icmp` protocol. Its shipped
//!   `before.rules`/`before6.rules` already accept echo requests, errors and IPv6 neighbour
//!   discovery inbound; ICMP rules still reach nftables, DOCKER-USER and Hetzner.
//! - **Rate-limited rules are plain `allow` here**: ufw's `limit` action is fixed by ufw (6
//!   packets in 30 seconds per source) and counts every SYN, retransmissions included, so
//!   automation opening about nine connections locked itself out for minutes (erratum 36). The
//!   configured [`RateLimit`](super::RateLimit) is enforced per source by nftables and
//!   DOCKER-USER (both hooks see every packet ufw accepts), and sshd adds `MaxStartups` and
//!   `PerSourceMaxStartups` against unauthenticated floods.

use ipnet::IpNet;

use super::policy::FirewallPolicy;
use super::rule::{Protocol, Rule};
use crate::RenderedFile;
use crate::command;

/// Packages that must never be installed next to ufw (erratum 4).
pub const CONFLICTING_PACKAGES: &[&str] = &["iptables-persistent", "netfilter-persistent"];

/// Comment of the last egress rule, which drops what the allow-list did not allow.
pub const EGRESS_DENY_COMMENT: &str = "Egress allow-list: drop the rest";

/// Where [`FirewallPolicy::ufw_script`] is installed.
pub const SCRIPT_PATH: &str = "/usr/local/sbin/hardening-ufw.sh";

/// `sed` command that blanks `IPT_SYSCTL` in `/etc/default/ufw`, so ufw stops applying
/// `/etc/ufw/sysctl.conf` (which resets `log_martians`) on every start.
pub const NEUTRALISE_IPT_SYSCTL: &[&str] = &[
    "sed",
    "-i",
    "s/^IPT_SYSCTL=.*/IPT_SYSCTL=/",
    "/etc/default/ufw",
];

/// ufw subcommands that change ufw's state files even under `--dry-run` (`reset` renames the
/// rules files, `logging` and `enable` rewrite `ufw.conf`). Validate these by their exact
/// argv, never by running them with `--dry-run` on a real host.
pub const STATEFUL_SUBCOMMANDS: &[&str] = &["reset", "logging", "enable"];

fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

impl FirewallPolicy {
    /// The ufw command lines, in order, each starting with `ufw`:
    /// `--force reset`, the default policies (deny incoming, allow outgoing), the SSH `allow`
    /// rules, the inbound rules, the egress allow-list on the public interface ending in
    /// `deny out on IFACE` (only when the policy has one), `logging medium` and
    /// `--force enable`.
    ///
    /// ```
    /// use hardening_model::firewall::{FirewallPolicy, SshAccess};
    /// use hardening_model::values::Port;
    /// let policy = FirewallPolicy::builder(
    ///     SshAccess::new(Port::new(2222).unwrap()).from(["198.51.100.0/24".parse().unwrap()]),
    /// )
    /// .build()
    /// .unwrap();
    /// let cmds = policy.ufw_commands();
    /// assert!(cmds.contains(&[
    ///     "ufw", "allow", "proto", "tcp", "from", "198.51.100.0/24", "to", "any", "port", "2222",
    ///     "comment", "SSH, rate-limited per source",
    /// ].map(String::from).to_vec()));
    /// assert_eq!(cmds.last().unwrap(), &["ufw", "--force", "enable"]);
    /// ```
    pub fn ufw_commands(&self) -> Vec<Vec<String>> {
        let iface = self.public_interface();
        let mut cmds = vec![
            argv(&["ufw", "--force", "reset"]),
            argv(&["ufw", "default", "deny", "incoming"]),
            argv(&["ufw", "default", "allow", "outgoing"]),
        ];
        for rule in self.inbound_with_ssh() {
            push_rule(&mut cmds, &rule, None);
        }
        if self.egress_restricted() {
            for rule in self.outbound() {
                push_rule(&mut cmds, rule, Some(iface));
            }
            for (from, to, what) in [("68", "67", "DHCP client"), ("546", "547", "DHCPv6 client")] {
                cmds.push(argv(&[
                    "ufw", "allow", "out", "on", iface, "proto", "udp", "from", "any", "port",
                    from, "to", "any", "port", to, "comment", what,
                ]));
            }
            cmds.push(argv(&[
                "ufw",
                "deny",
                "out",
                "on",
                iface,
                "comment",
                EGRESS_DENY_COMMENT,
            ]));
        }
        cmds.push(argv(&["ufw", "logging", "medium"]));
        cmds.push(argv(&["ufw", "--force", "enable"]));
        cmds
    }

    /// Only the rule and default-policy commands of [`ufw_commands`](Self::ufw_commands):
    /// the ones that `ufw --dry-run` can check without touching ufw's state files.
    pub fn ufw_rule_commands(&self) -> Vec<Vec<String>> {
        self.ufw_commands()
            .into_iter()
            .filter(|c| !c.iter().any(|a| STATEFUL_SUBCOMMANDS.contains(&a.as_str())))
            .collect()
    }

    /// `ufw.sh`: a POSIX `sh` script (`set -eu`, every argument single-quoted) that first
    /// neutralises `/etc/ufw/sysctl.conf` ([`NEUTRALISE_IPT_SYSCTL`]) and then runs
    /// [`ufw_commands`](Self::ufw_commands). Installed at [`SCRIPT_PATH`], mode 0750.
    pub fn ufw_script(&self) -> RenderedFile {
        let mut out = String::from(
            "#!/bin/sh\n\
             # Host firewall (ufw), rendered by hardening-model from one FirewallPolicy.\n\
             # Never install iptables-persistent or netfilter-persistent next to ufw: the ufw\n\
             # package declares Breaks on both. ufw persists its own rules.\n\
             # Container traffic is forwarded and bypasses these rules: see the DOCKER-USER script.\n\
             set -eu\n\
             # ufw applies /etc/ufw/sysctl.conf on every start (log_martians=0); blank IPT_SYSCTL\n\
             # so /etc/sysctl.d stays in charge.\n",
        );
        out.push_str(&command::line(argv(NEUTRALISE_IPT_SYSCTL)));
        out.push('\n');
        for cmd in self.ufw_commands() {
            out.push_str(&command::line(&cmd));
            out.push('\n');
        }
        RenderedFile::root(SCRIPT_PATH, 0o750, out)
    }
}

/// Appends the commands for one rule: one per peer, or one for any address. `out_on` is the
/// public interface for outbound rules, `None` for inbound ones.
fn push_rule(cmds: &mut Vec<Vec<String>>, rule: &Rule, out_on: Option<&str>) {
    let proto = match rule.protocol() {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        // ufw has no icmp protocol; before.rules handles ICMP (see the module docs).
        Protocol::Icmp => return,
    };
    let Some(ports) = rule.ports() else {
        return;
    };
    // ufw writes ranges as START:END.
    let port = if ports.is_single() {
        ports.start().to_string()
    } else {
        format!("{}:{}", ports.start(), ports.end())
    };
    // Never `limit` (see the module docs): nftables enforces the configured rate.
    let action = "allow";
    let peers: Vec<Option<IpNet>> = if rule.peer_list().is_empty() {
        vec![None]
    } else {
        rule.peer_list().iter().copied().map(Some).collect()
    };
    for peer in peers {
        let peer = peer.map_or_else(|| "any".to_owned(), |n| n.to_string());
        let mut cmd = vec!["ufw".to_owned(), action.to_owned()];
        if let Some(iface) = out_on {
            cmd.extend(["out".to_owned(), "on".to_owned(), iface.to_owned()]);
        }
        cmd.extend(["proto".to_owned(), proto.to_owned()]);
        if out_on.is_some() {
            cmd.extend(["to".to_owned(), peer]);
        } else {
            cmd.extend(["from".to_owned(), peer, "to".to_owned(), "any".to_owned()]);
        }
        cmd.extend(["port".to_owned(), port.clone()]);
        if let Some(text) = rule.description() {
            cmd.extend(["comment".to_owned(), text.to_owned()]);
        }
        cmds.push(cmd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{Rule, SshAccess};
    use crate::values::Port;

    fn policy() -> FirewallPolicy {
        FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()).from([
            "198.51.100.0/24".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ]))
        .inbound(Rule::tcp(443).describe("HTTPS"))
        .inbound(Rule::udp_range(60000, 61000).describe("mosh"))
        .inbound(Rule::icmp().describe("ping"))
        .outbound(Rule::udp(53).describe("DNS"))
        .outbound(
            Rule::tcp(1514)
                .peers(["192.0.2.10/32".parse().unwrap()])
                .describe("Wazuh"),
        )
        .build()
        .unwrap()
    }

    fn joined(cmds: &[Vec<String>]) -> Vec<String> {
        cmds.iter().map(|c| c.join(" ")).collect()
    }

    #[test]
    fn renders_the_expected_commands() {
        let cmds = joined(&policy().ufw_commands());
        assert_eq!(
            cmds,
            [
                "ufw --force reset",
                "ufw default deny incoming",
                "ufw default allow outgoing",
                "ufw allow proto tcp from 198.51.100.0/24 to any port 2222 comment SSH, rate-limited per source",
                "ufw allow proto tcp from 2001:db8::/32 to any port 2222 comment SSH, rate-limited per source",
                "ufw allow proto tcp from any to any port 443 comment HTTPS",
                "ufw allow proto udp from any to any port 60000:61000 comment mosh",
                "ufw allow out on eth0 proto udp to any port 53 comment DNS",
                "ufw allow out on eth0 proto tcp to 192.0.2.10/32 port 1514 comment Wazuh",
                "ufw allow out on eth0 proto udp from any port 68 to any port 67 comment DHCP client",
                "ufw allow out on eth0 proto udp from any port 546 to any port 547 comment DHCPv6 client",
                "ufw deny out on eth0 comment Egress allow-list: drop the rest",
                "ufw logging medium",
                "ufw --force enable",
            ]
        );
    }

    #[test]
    fn open_egress_has_no_outgoing_rules() {
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(22).unwrap()))
            .build()
            .unwrap();
        let cmds = joined(&p.ufw_commands());
        assert!(cmds.contains(&"ufw default allow outgoing".to_owned()));
        assert!(!cmds.iter().any(|c| c.contains(" out ")));
    }

    #[test]
    fn rule_commands_leave_out_stateful_ones() {
        let rules = policy().ufw_rule_commands();
        assert_eq!(rules.len(), policy().ufw_commands().len() - 3);
        assert!(rules.iter().all(|c| c[0] == "ufw"));
    }

    #[test]
    fn script_quotes_arguments_and_never_mentions_persistent_packages_as_commands() {
        let file = policy().ufw_script();
        assert_eq!(file.path, SCRIPT_PATH);
        assert_eq!(file.mode, 0o750);
        let body = &file.content;
        assert!(body.starts_with("#!/bin/sh\n"));
        assert!(body.contains("\nset -eu\n"));
        assert!(body.contains("sed -i 's/^IPT_SYSCTL=.*/IPT_SYSCTL=/' /etc/default/ufw\n"));
        assert!(body.contains(
            "ufw allow proto tcp from 198.51.100.0/24 to any port 2222 comment 'SSH, rate-limited per source'\n"
        ));
        for line in body.lines().filter(|l| !l.starts_with('#')) {
            assert!(!line.contains("apt"), "{line}");
            assert!(!line.contains("netfilter-persistent"), "{line}");
        }
    }
}
