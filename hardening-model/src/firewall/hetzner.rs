//! Plain values a Hetzner Cloud firewall request is built from.
//!
//! These carry no HTTP concerns: `hetzner-client` turns them into its request bodies, so the
//! SSH port and the Cloudflare ranges reach the cloud firewall from the same policy values that
//! render the host's ufw and nftables rules.

use ipnet::IpNet;

use crate::values::PortRange;

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
