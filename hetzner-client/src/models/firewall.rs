//! Firewalls and their rules.

use serde::{Deserialize, Serialize};

use super::{IdRef, Timestamp};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::string_enum::string_enum;

/// Hetzner allows at most this many rules in one firewall.
pub const MAX_RULES: usize = 50;
/// Hetzner allows at most this many CIDRs in a rule's source or destination list.
pub const MAX_CIDRS_PER_RULE: usize = 100;
/// Longest rule description.
pub const MAX_DESCRIPTION_LEN: usize = 255;
/// Longest firewall name.
pub const MAX_FIREWALL_NAME_LEN: usize = 128;

string_enum! {
    /// Direction of a rule.
    pub enum Direction {
        /// Inbound (lists `source_ips`).
        In => "in",
        /// Outbound (lists `destination_ips`).
        Out => "out",
    }
}

string_enum! {
    /// Protocol of a rule.
    pub enum Protocol {
        /// TCP (needs a port).
        Tcp => "tcp",
        /// UDP (needs a port).
        Udp => "udp",
        /// ICMP.
        Icmp => "icmp",
        /// ESP.
        Esp => "esp",
        /// GRE.
        Gre => "gre",
    }
}

/// One firewall rule, as sent and as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// In or out.
    pub direction: Direction,
    /// Protocol.
    pub protocol: Protocol,
    /// Port or `start-end` range (TCP and UDP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Sources (inbound rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    /// Destinations (outbound rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destination_ips: Vec<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl FirewallRule {
    /// An inbound rule from `sources`.
    pub fn inbound(
        protocol: Protocol,
        port: Option<&str>,
        sources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            direction: Direction::In,
            protocol,
            port: port.map(str::to_owned),
            source_ips: sources.into_iter().map(Into::into).collect(),
            destination_ips: Vec::new(),
            description: None,
        }
    }

    /// An outbound rule to `destinations`.
    pub fn outbound(
        protocol: Protocol,
        port: Option<&str>,
        destinations: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            direction: Direction::Out,
            protocol,
            port: port.map(str::to_owned),
            source_ips: Vec::new(),
            destination_ips: destinations.into_iter().map(Into::into).collect(),
            description: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Checks the rule against Hetzner's limits.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field (`port`, `source_ips`, ...).
    pub fn validate(&self) -> Result<()> {
        let needs_port = matches!(self.protocol, Protocol::Tcp | Protocol::Udp);
        match (&self.port, needs_port) {
            (None, true) => {
                return Err(Error::invalid(
                    "port",
                    "tcp and udp rules need a port or range",
                ));
            }
            (Some(_), false) => {
                return Err(Error::invalid("port", "only tcp and udp rules take a port"));
            }
            (Some(port), true) => validate_port(port)?,
            (None, false) => {}
        }
        let (used, unused, used_name, unused_name) = match self.direction {
            Direction::Out => (
                &self.destination_ips,
                &self.source_ips,
                "destination_ips",
                "source_ips",
            ),
            _ => (
                &self.source_ips,
                &self.destination_ips,
                "source_ips",
                "destination_ips",
            ),
        };
        if !unused.is_empty() {
            return Err(Error::invalid(
                unused_name,
                format!("must be empty for {} rules", self.direction),
            ));
        }
        if used.is_empty() {
            return Err(Error::invalid(used_name, "needs at least one CIDR"));
        }
        if used.len() > MAX_CIDRS_PER_RULE {
            return Err(Error::invalid(
                used_name,
                format!("more than {MAX_CIDRS_PER_RULE} CIDRs"),
            ));
        }
        for (i, cidr) in used.iter().enumerate() {
            validate_cidr(cidr).map_err(|e| e.within(&format!("{used_name}[{i}]")))?;
        }
        if let Some(description) = &self.description {
            if description.chars().count() > MAX_DESCRIPTION_LEN {
                return Err(Error::invalid(
                    "description",
                    format!("longer than {MAX_DESCRIPTION_LEN} characters"),
                ));
            }
            if description.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "description",
                    "must be a single line without control characters",
                ));
            }
        }
        Ok(())
    }
}

/// Checks a rule list: at most [`MAX_RULES`], each valid.
///
/// # Errors
/// [`Error::Invalid`] naming `rules` or `rules[i].<field>`.
pub fn validate_rules(rules: &[FirewallRule]) -> Result<()> {
    if rules.len() > MAX_RULES {
        return Err(Error::invalid(
            "rules",
            format!("more than {MAX_RULES} rules"),
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        rule.validate()
            .map_err(|e| e.within(&format!("rules[{i}]")))?;
    }
    Ok(())
}

fn validate_port(port: &str) -> Result<()> {
    let parse = |p: &str| p.parse::<u16>().ok().filter(|n| *n > 0);
    let ok = match port.split_once('-') {
        Some((a, b)) => matches!((parse(a), parse(b)), (Some(a), Some(b)) if a <= b),
        None => parse(port).is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "port",
            "must be a port 1-65535 or a range start-end",
        ))
    }
}

/// Checks that `cidr` is `address/prefix` with a prefix that fits the address family.
fn validate_cidr(cidr: &str) -> Result<()> {
    let bad = || Error::invalid("cidr", "must be an IPv4 or IPv6 network in CIDR notation");
    let (addr, prefix) = cidr.split_once('/').ok_or_else(bad)?;
    let addr: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(bad());
    }
    Ok(())
}

string_enum! {
    /// Kind of firewall target.
    pub enum ApplyToType {
        /// One server.
        Server => "server",
        /// Every server matching a label selector.
        LabelSelector => "label_selector",
    }
}

/// A label selector target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectorRef {
    /// The selector.
    pub selector: String,
}

/// A firewall target (request form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyTo {
    /// Kind.
    #[serde(rename = "type")]
    pub kind: ApplyToType,
    /// Server, for `server` targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<IdRef>,
    /// Selector, for `label_selector` targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<SelectorRef>,
}

impl ApplyTo {
    /// Targets one server.
    pub fn server(id: u64) -> Self {
        Self {
            kind: ApplyToType::Server,
            server: Some(IdRef { id }),
            label_selector: None,
        }
    }

    /// Targets servers matching `selector`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `label_selector`.
    pub fn label_selector(selector: &crate::labels::LabelSelector) -> Result<Self> {
        Ok(Self {
            kind: ApplyToType::LabelSelector,
            server: None,
            label_selector: Some(SelectorRef {
                selector: selector.to_query()?,
            }),
        })
    }
}

/// A firewall target as reported, with the resources it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppliedTo {
    /// Kind.
    #[serde(rename = "type")]
    pub kind: ApplyToType,
    /// Server, for `server` targets.
    #[serde(default)]
    pub server: Option<IdRef>,
    /// Selector, for `label_selector` targets.
    #[serde(default)]
    pub label_selector: Option<SelectorRef>,
    /// Servers a selector matched.
    #[serde(default)]
    pub applied_to_resources: Vec<AppliedToResource>,
}

/// A resource a label-selector target matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppliedToResource {
    /// Kind (`server`).
    #[serde(rename = "type")]
    pub kind: ApplyToType,
    /// Server.
    #[serde(default)]
    pub server: Option<IdRef>,
}

/// A firewall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Firewall {
    /// Id.
    pub id: u64,
    /// Name (unique per project).
    pub name: String,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Creation time.
    pub created: Timestamp,
    /// Rules.
    #[serde(default)]
    pub rules: Vec<FirewallRule>,
    /// Targets.
    #[serde(default)]
    pub applied_to: Vec<AppliedTo>,
}
