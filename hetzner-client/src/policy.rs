//! Firewall requests from hardening-model's policy values (feature `hardening-model`), so the
//! SSH port and the Cloudflare ranges reach the cloud firewall from the same values that
//! render the host's ufw and nftables rules.

use hardening_model::firewall::hetzner::{HetznerDirection, HetznerProtocol, HetznerRule};

use crate::error::Result;
use crate::models::firewall::{Direction, FirewallRule, Protocol, validate_rules};

impl From<&HetznerRule> for FirewallRule {
    fn from(rule: &HetznerRule) -> Self {
        Self {
            direction: match rule.direction {
                HetznerDirection::In => Direction::In,
                HetznerDirection::Out => Direction::Out,
            },
            protocol: match rule.protocol {
                HetznerProtocol::Tcp => Protocol::Tcp,
                HetznerProtocol::Udp => Protocol::Udp,
                HetznerProtocol::Icmp => Protocol::Icmp,
                HetznerProtocol::Esp => Protocol::Esp,
                HetznerProtocol::Gre => Protocol::Gre,
            },
            port: rule.port.map(|p| p.to_string()),
            source_ips: rule.source_ips.iter().map(ToString::to_string).collect(),
            destination_ips: rule
                .destination_ips
                .iter()
                .map(ToString::to_string)
                .collect(),
            description: rule.description.clone(),
        }
    }
}

/// Converts policy rules and checks them against Hetzner's limits.
///
/// # Errors
/// [`crate::Error::Invalid`] naming `rules[i].<field>`.
///
/// ```
/// use hardening_model::firewall::hetzner::{HetznerDirection, HetznerProtocol, HetznerRule};
/// use hardening_model::values::PortRange;
/// let ssh = HetznerRule {
///     direction: HetznerDirection::In,
///     protocol: HetznerProtocol::Tcp,
///     port: Some(PortRange::single(48213).unwrap()),
///     source_ips: vec!["198.51.100.0/24".parse().unwrap()],
///     destination_ips: vec![],
///     description: Some("ssh".into()),
/// };
/// let rules = hetzner_client::policy::rules_from_policy(&[ssh]).unwrap();
/// assert_eq!(rules[0].port.as_deref(), Some("48213"));
/// ```
pub fn rules_from_policy(rules: &[HetznerRule]) -> Result<Vec<FirewallRule>> {
    let converted: Vec<FirewallRule> = rules.iter().map(FirewallRule::from).collect();
    validate_rules(&converted)?;
    Ok(converted)
}
