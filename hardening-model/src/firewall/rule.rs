//! One firewall rule: protocol, ports, peers (sources or destinations), an optional per-source
//! rate limit and a description.

use std::fmt;

use ipnet::IpNet;

use crate::values::{PortRange, check_max_len, check_non_empty, check_single_line};
use crate::{Error, Problem, Result};

/// Largest description accepted: Hetzner's limit, the tightest of the targets that keep it whole.
pub const MAX_DESCRIPTION_LEN: usize = super::hetzner::MAX_DESCRIPTION_LEN;

/// Largest number of peers (CIDRs) one rule may list.
pub const MAX_PEERS: usize = 10_000;

/// Transport protocol a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP; the rule carries a port or port range.
    Tcp,
    /// UDP; the rule carries a port or port range.
    Udp,
    /// ICMP for IPv4 and ICMPv6 for IPv6; the rule has no port.
    Icmp,
}

impl Protocol {
    /// The lowercase name the targets use (`tcp`, `udp`, `icmp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A per-source-address rate limit on new connections.
///
/// nftables renders it as a dynamic set keyed by the source address (one bucket per client, not
/// one global bucket); DOCKER-USER renders it with `hashlimit --hashlimit-mode srcip`. ufw can
/// only express its own fixed `limit` (6 new connections in 30 seconds per source), which it
/// uses whenever a rule carries any rate limit.
///
/// ```
/// use hardening_model::firewall::RateLimit;
/// let r = RateLimit::new(12, 6).unwrap();
/// assert_eq!((r.per_minute(), r.burst()), (12, 6));
/// assert!(RateLimit::new(0, 6).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    per_minute: u32,
    burst: u32,
}

impl RateLimit {
    /// Largest accepted rate and burst.
    pub const MAX: u32 = 100_000;

    /// New connections allowed per minute and per source, with a burst allowance.
    pub fn new(per_minute: u32, burst: u32) -> Result<Self> {
        for (field, value) in [("per_minute", per_minute), ("burst", burst)] {
            if !(1..=Self::MAX).contains(&value) {
                return Err(Error::new(
                    field,
                    Problem::OutOfRange {
                        min: 1,
                        max: i64::from(Self::MAX),
                        value: i64::from(value),
                    },
                )
                .within("rate_limit"));
            }
        }
        Ok(Self { per_minute, burst })
    }

    /// New connections per minute per source.
    pub fn per_minute(self) -> u32 {
        self.per_minute
    }

    /// Burst allowance, in packets.
    pub fn burst(self) -> u32 {
        self.burst
    }
}

impl Default for RateLimit {
    /// 12 new connections per minute with a burst of 6: close to ufw's fixed `limit`
    /// (6 connections in 30 seconds).
    fn default() -> Self {
        Self {
            per_minute: 12,
            burst: 6,
        }
    }
}

/// One allow rule of a [`FirewallPolicy`](super::FirewallPolicy).
///
/// Inbound rules read their peers as allowed sources, outbound rules as allowed destinations;
/// no peers means any address (IPv4 and IPv6). Values are checked when the policy is built, so
/// an error names the rule's place, e.g. `firewall.inbound[3].description`.
///
/// ```
/// use hardening_model::firewall::Rule;
/// let https = Rule::tcp(443)
///     .peers(["173.245.48.0/20".parse().unwrap(), "2400:cb00::/32".parse().unwrap()])
///     .describe("HTTPS from Cloudflare");
/// assert_eq!(https.ports().unwrap().to_string(), "443");
/// assert_eq!(https.peer_list().len(), 2);
/// assert_eq!(Rule::udp_range(60000, 61000).ports().unwrap().to_string(), "60000-61000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    protocol: Protocol,
    ports: Option<(u16, u16)>,
    peers: Vec<IpNet>,
    description: Option<String>,
    rate_limit: Option<RateLimit>,
}

impl Rule {
    fn with(protocol: Protocol, ports: Option<(u16, u16)>) -> Self {
        Self {
            protocol,
            ports,
            peers: Vec::new(),
            description: None,
            rate_limit: None,
        }
    }

    /// A TCP rule for one port (port 0 is rejected when the policy is built).
    pub fn tcp(port: u16) -> Self {
        Self::with(Protocol::Tcp, Some((port, port)))
    }

    /// A TCP rule for the inclusive range `start..=end`.
    pub fn tcp_range(start: u16, end: u16) -> Self {
        Self::with(Protocol::Tcp, Some((start, end)))
    }

    /// A UDP rule for one port (port 0 is rejected when the policy is built).
    pub fn udp(port: u16) -> Self {
        Self::with(Protocol::Udp, Some((port, port)))
    }

    /// A UDP rule for the inclusive range `start..=end`.
    pub fn udp_range(start: u16, end: u16) -> Self {
        Self::with(Protocol::Udp, Some((start, end)))
    }

    /// An ICMP rule (ICMP for IPv4, ICMPv6 for IPv6).
    pub fn icmp() -> Self {
        Self::with(Protocol::Icmp, None)
    }

    /// Restricts the rule to these sources (inbound) or destinations (outbound).
    #[must_use]
    pub fn peers(mut self, peers: impl IntoIterator<Item = IpNet>) -> Self {
        self.peers.extend(peers);
        self
    }

    /// Sets the description (single line, checked when the policy is built).
    #[must_use]
    pub fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Adds a per-source rate limit on new connections (inbound rules only).
    #[must_use]
    pub fn rate_limited(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The port or range (TCP and UDP); `None` for ICMP and for a port 0 that validation
    /// rejects.
    pub fn ports(&self) -> Option<PortRange> {
        self.ports.and_then(|(a, b)| PortRange::new(a, b).ok())
    }

    /// Sources (inbound) or destinations (outbound); empty means any address.
    pub fn peer_list(&self) -> &[IpNet] {
        &self.peers
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The per-source rate limit, if any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// IPv4 peers, in order.
    pub fn v4_peers(&self) -> Vec<IpNet> {
        self.peers
            .iter()
            .copied()
            .filter(|n| matches!(n, IpNet::V4(_)))
            .collect()
    }

    /// IPv6 peers, in order.
    pub fn v6_peers(&self) -> Vec<IpNet> {
        self.peers
            .iter()
            .copied()
            .filter(|n| matches!(n, IpNet::V6(_)))
            .collect()
    }

    /// Checks the rule; errors name the field relative to the rule (`description`,
    /// `peers[2]`, `ports`, `rate_limit`).
    pub fn validate(&self, outbound: bool) -> Result<()> {
        match (self.protocol, self.ports) {
            (Protocol::Tcp | Protocol::Udp, Some((start, end))) => {
                PortRange::new(start, end).map_err(|e| Error::new("ports", e.problem().clone()))?;
            }
            (Protocol::Tcp | Protocol::Udp, None) => {
                return Err(Error::new("ports", Problem::Empty));
            }
            (Protocol::Icmp, Some(_)) => {
                return Err(Error::invalid("ports", "ICMP rules have no port"));
            }
            (Protocol::Icmp, None) => {}
        }
        check_peers(&self.peers)?;
        if let Some(text) = &self.description {
            check_description(text)?;
        }
        if outbound && self.rate_limit.is_some() {
            return Err(Error::invalid(
                "rate_limit",
                "rate limits apply to inbound rules only",
            ));
        }
        Ok(())
    }
}

/// Checks a description: non-empty, single line, no quotes or shell metacharacters, at most
/// [`MAX_DESCRIPTION_LEN`] characters. The error's field is `description`.
pub fn check_description(text: &str) -> Result<()> {
    let field = "description";
    check_non_empty(field, text)?;
    check_max_len(field, text, MAX_DESCRIPTION_LEN)?;
    check_single_line(field, text, MAX_DESCRIPTION_LEN)
}

/// Checks peer CIDRs: host bits must be zero (`10.0.0.0/8`, not `10.1.2.3/8`), no duplicates, at
/// most [`MAX_PEERS`]. Errors name `peers[i]`.
pub(crate) fn check_peers(peers: &[IpNet]) -> Result<()> {
    if peers.len() > MAX_PEERS {
        return Err(Error::new(
            "peers",
            Problem::TooMany {
                max: MAX_PEERS,
                count: peers.len(),
            },
        ));
    }
    for (i, net) in peers.iter().enumerate() {
        let field = format!("peers[{i}]");
        if net.trunc() != *net {
            return Err(Error::invalid(
                field,
                "host bits are set; give the network address (e.g. 10.0.0.0/8)",
            ));
        }
        if peers[..i].contains(net) {
            return Err(Error::invalid(field, "listed twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_zero_is_rejected_by_validation() {
        let r = Rule::tcp(0);
        assert_eq!(r.validate(false).unwrap_err().field(), "ports");
        assert!(Rule::udp_range(10, 5).validate(false).is_err());
        assert!(Rule::udp_range(5, 10).validate(false).is_ok());
    }

    #[test]
    fn peers_with_host_bits_or_duplicates_are_rejected() {
        let r = Rule::tcp(443).peers(["10.1.2.3/8".parse().unwrap()]);
        assert_eq!(r.validate(false).unwrap_err().field(), "peers[0]");
        let n: IpNet = "10.0.0.0/8".parse().unwrap();
        let r = Rule::tcp(443).peers([n, n]);
        assert_eq!(r.validate(false).unwrap_err().field(), "peers[1]");
    }

    #[test]
    fn descriptions_are_single_safe_lines() {
        for bad in ["", "a\nb", "it's", "x; reboot", "$(id)", "a}b", "nul\0"] {
            let r = Rule::tcp(22).describe(bad);
            assert_eq!(
                r.validate(false).unwrap_err().field(),
                "description",
                "{bad:?}"
            );
        }
        assert!(
            Rule::tcp(22)
                .describe("HTTPS from Cloudflare, port 443")
                .validate(false)
                .is_ok()
        );
        let long = "a".repeat(MAX_DESCRIPTION_LEN + 1);
        assert!(Rule::tcp(22).describe(long).validate(false).is_err());
    }

    #[test]
    fn outbound_rules_take_no_rate_limit() {
        let r = Rule::udp(53).rate_limited(RateLimit::default());
        assert_eq!(r.validate(true).unwrap_err().field(), "rate_limit");
        assert!(r.validate(false).is_ok());
    }

    #[test]
    fn rate_limit_bounds() {
        assert_eq!(
            RateLimit::new(1, 0).unwrap_err().field(),
            "rate_limit.burst"
        );
        assert!(RateLimit::new(RateLimit::MAX + 1, 1).is_err());
    }
}
