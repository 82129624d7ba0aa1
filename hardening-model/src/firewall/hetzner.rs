//! Plain values a Hetzner Cloud firewall request is built from.
//!
//! These carry no HTTP concerns: `hetzner-client` turns them into its request bodies, so the
//! SSH port and the Cloudflare ranges reach the cloud firewall from the same policy values that
//! render the host's ufw and nftables rules.

use ipnet::IpNet;

use super::policy::FirewallPolicy;
use super::rule::{Protocol, Rule};
use crate::values::PortRange;
use crate::{Error, Problem, Result};

/// Hetzner allows at most this many rules in one firewall.
pub const MAX_RULES: usize = 50;
/// Hetzner allows at most this many CIDRs in one rule's source or destination list.
pub const MAX_CIDRS_PER_RULE: usize = 100;
/// Hetzner allows at most this many characters in a rule description.
pub const MAX_DESCRIPTION_LEN: usize = 255;

/// Direction of a Hetzner firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HetznerDirection {
    /// Traffic towards the server (`in`); the rule lists `source_ips`.
    In,
    /// Traffic from the server (`out`); the rule lists `destination_ips`.
    Out,
}

/// Protocol of a Hetzner firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HetznerProtocol {
    /// TCP; the rule needs a port or range.
    Tcp,
    /// UDP; the rule needs a port or range.
    Udp,
    /// ICMP; the rule has no port.
    Icmp,
    /// ESP; the rule has no port.
    Esp,
    /// GRE; the rule has no port.
    Gre,
}

/// One Hetzner firewall rule, already checked against Hetzner's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HetznerRule {
    /// In or out.
    pub direction: HetznerDirection,
    /// Protocol.
    pub protocol: HetznerProtocol,
    /// Port or range, for TCP and UDP only.
    pub port: Option<PortRange>,
    /// Allowed sources (inbound rules), at most [`MAX_CIDRS_PER_RULE`].
    pub source_ips: Vec<IpNet>,
    /// Allowed destinations (outbound rules), at most [`MAX_CIDRS_PER_RULE`].
    pub destination_ips: Vec<IpNet>,
    /// Description, at most [`MAX_DESCRIPTION_LEN`] characters, single line.
    pub description: Option<String>,
}

impl HetznerProtocol {
    /// The protocol name in Hetzner's API (`tcp`, `udp`, `icmp`, `esp`, `gre`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
            Self::Esp => "esp",
            Self::Gre => "gre",
        }
    }
}

impl HetznerDirection {
    /// The direction in Hetzner's API (`in`, `out`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

/// Every IPv4 and IPv6 address, the peer list Hetzner needs for "any".
fn any_address() -> Vec<IpNet> {
    vec![
        IpNet::V4(ipnet::Ipv4Net::default()),
        IpNet::V6(ipnet::Ipv6Net::default()),
    ]
}

impl FirewallPolicy {
    /// The Hetzner Cloud firewall rules for this policy: the SSH entry, the inbound rules, then
    /// the outbound rules.
    ///
    /// - A rule without peers gets `0.0.0.0/0` and `::/0`.
    /// - A peer list longer than [`MAX_CIDRS_PER_RULE`] is split over several rules, whose
    ///   descriptions end in ` [2/3]` (the base text is cut so the whole stays within
    ///   [`MAX_DESCRIPTION_LEN`]).
    /// - Hetzner treats a firewall without `out` rules as "allow all outgoing", and one with
    ///   `out` rules as an allow-list: exactly the policy's egress semantics.
    /// - Hetzner has no rate limits: the SSH entry is a plain allow from its sources; the
    ///   per-source limits live on the host (ufw, nftables).
    ///
    /// # Errors
    /// `firewall.hetzner.rules` ([`Problem::TooMany`]) when more than [`MAX_RULES`] rules
    /// would be needed.
    ///
    /// ```
    /// use hardening_model::firewall::{FirewallPolicy, Rule, SshAccess, HetznerDirection};
    /// use hardening_model::values::Port;
    /// let rules = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
    ///     .outbound(Rule::udp(53).describe("DNS"))
    ///     .build()
    ///     .unwrap()
    ///     .hetzner_rules()
    ///     .unwrap();
    /// assert_eq!(rules.len(), 2);
    /// assert_eq!(rules[0].port.unwrap().to_string(), "2222");
    /// assert_eq!(rules[0].source_ips.len(), 2); // 0.0.0.0/0 and ::/0
    /// assert_eq!(rules[1].direction, HetznerDirection::Out);
    /// ```
    pub fn hetzner_rules(&self) -> Result<Vec<HetznerRule>> {
        let mut out = Vec::new();
        for rule in self.inbound_with_ssh() {
            push_rule(&mut out, &rule, HetznerDirection::In);
        }
        for rule in self.outbound() {
            push_rule(&mut out, rule, HetznerDirection::Out);
        }
        if out.len() > MAX_RULES {
            return Err(Error::new(
                "firewall.hetzner.rules",
                Problem::TooMany {
                    max: MAX_RULES,
                    count: out.len(),
                },
            ));
        }
        Ok(out)
    }
}

fn push_rule(out: &mut Vec<HetznerRule>, rule: &Rule, direction: HetznerDirection) {
    let protocol = match rule.protocol() {
        Protocol::Tcp => HetznerProtocol::Tcp,
        Protocol::Udp => HetznerProtocol::Udp,
        Protocol::Icmp => HetznerProtocol::Icmp,
    };
    let peers = if rule.peer_list().is_empty() {
        any_address()
    } else {
        rule.peer_list().to_vec()
    };
    let chunks: Vec<&[IpNet]> = peers.chunks(MAX_CIDRS_PER_RULE).collect();
    let total = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let description = rule.description().map(|text| {
            if total == 1 {
                return text.to_owned();
            }
            let suffix = format!(" [{}/{total}]", i + 1);
            let keep = MAX_DESCRIPTION_LEN - suffix.chars().count();
            let base: String = text.chars().take(keep).collect();
            format!("{base}{suffix}")
        });
        let (source_ips, destination_ips) = match direction {
            HetznerDirection::In => (chunk.to_vec(), Vec::new()),
            HetznerDirection::Out => (Vec::new(), chunk.to_vec()),
        };
        out.push(HetznerRule {
            direction,
            protocol,
            port: rule.ports(),
            source_ips,
            destination_ips,
            description,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::SshAccess;
    use crate::values::Port;

    fn nets(n: usize) -> Vec<IpNet> {
        (0..n)
            .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap())
            .collect()
    }

    #[test]
    fn long_peer_lists_are_split_with_numbered_descriptions() {
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .inbound(Rule::tcp(443).peers(nets(250)).describe("x".repeat(255)))
            .build()
            .unwrap();
        let rules = p.hetzner_rules().unwrap();
        assert_eq!(rules.len(), 4);
        let https = &rules[1..];
        assert_eq!(
            https.iter().map(|r| r.source_ips.len()).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        for (i, r) in https.iter().enumerate() {
            let d = r.description.as_deref().unwrap();
            assert_eq!(d.chars().count(), MAX_DESCRIPTION_LEN);
            assert!(d.ends_with(&format!(" [{}/3]", i + 1)));
            assert!(r.destination_ips.is_empty());
        }
    }

    #[test]
    fn more_than_fifty_rules_is_an_error() {
        let mut b = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()));
        for port in 1..=49 {
            b = b.inbound(Rule::udp(port));
        }
        let p = b.build().unwrap();
        assert_eq!(p.hetzner_rules().unwrap().len(), 50);
        let p = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .inbound(Rule::tcp(443).peers(nets(4901)))
            .build()
            .unwrap();
        let err = p.hetzner_rules().unwrap_err();
        assert_eq!(err.field(), "firewall.hetzner.rules");
        assert_eq!(err.problem(), &Problem::TooMany { max: 50, count: 51 });
    }

    #[test]
    fn icmp_has_no_port_and_outbound_uses_destinations() {
        let p = FirewallPolicy::builder(
            SshAccess::new(Port::new(2222).unwrap()).from(["2001:db8::/32".parse().unwrap()]),
        )
        .inbound(Rule::icmp())
        .outbound(Rule::tcp(443).peers(["192.0.2.0/24".parse().unwrap()]))
        .build()
        .unwrap();
        let rules = p.hetzner_rules().unwrap();
        assert_eq!(
            rules[0].source_ips,
            ["2001:db8::/32".parse::<IpNet>().unwrap()]
        );
        assert_eq!(
            rules[0].description.as_deref(),
            Some(crate::firewall::SSH_DESCRIPTION)
        );
        assert_eq!(rules[1].protocol, HetznerProtocol::Icmp);
        assert_eq!(rules[1].port, None);
        assert_eq!(rules[2].direction, HetznerDirection::Out);
        assert_eq!(rules[2].destination_ips.len(), 1);
        assert!(rules[2].source_ips.is_empty());
    }
}
