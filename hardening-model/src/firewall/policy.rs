//! [`FirewallPolicy`]: the one description every firewall rendering is derived from.

use ipnet::IpNet;

use super::metadata::MetadataProtection;
use super::rule::{RateLimit, Rule, check_peers};
use crate::values::{Port, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, Result};

/// Description used for the SSH entry in every rendering.
pub const SSH_DESCRIPTION: &str = "SSH, rate-limited per source";

/// The rate-limited SSH entry: one port that every renderer uses, the admin sources allowed to
/// reach it (empty = anywhere) and the per-source limit on new connections.
///
/// ```
/// use hardening_model::firewall::SshAccess;
/// use hardening_model::values::Port;
/// let ssh = SshAccess::new(Port::new(2222).unwrap()).from(["203.0.113.0/24".parse().unwrap()]);
/// assert_eq!(ssh.port().get(), 2222);
/// assert_eq!(ssh.sources().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAccess {
    port: Port,
    sources: Vec<IpNet>,
    rate_limit: RateLimit,
}

impl SshAccess {
    /// SSH on `port`, from anywhere, with the default [`RateLimit`].
    pub fn new(port: Port) -> Self {
        Self {
            port,
            sources: Vec::new(),
            rate_limit: RateLimit::default(),
        }
    }

    /// Restricts SSH to these source networks (admin addresses or a bastion).
    #[must_use]
    pub fn from(mut self, sources: impl IntoIterator<Item = IpNet>) -> Self {
        self.sources.extend(sources);
        self
    }

    /// Replaces the per-source rate limit on new connections.
    #[must_use]
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// The SSH port.
    pub fn port(&self) -> Port {
        self.port
    }

    /// Allowed sources; empty means anywhere.
    pub fn sources(&self) -> &[IpNet] {
        &self.sources
    }

    /// The per-source limit on new connections.
    pub fn limit(&self) -> RateLimit {
        self.rate_limit
    }

    /// The SSH entry as a rate-limited inbound TCP [`Rule`], the form renderers share.
    pub fn as_rule(&self) -> Rule {
        Rule::tcp(self.port.get())
            .peers(self.sources.iter().copied())
            .describe(SSH_DESCRIPTION)
            .rate_limited(self.rate_limit)
    }
}

/// A host and cloud firewall policy (runbook sections 1.4 and 4.1-4.5).
///
/// - Inbound: default deny; the [`SshAccess`] entry (rate-limited per source) and the
///   inbound allow rules.
/// - Outbound: with no outbound rules everything may leave; with at least one, the rules
///   form an egress allow-list and everything else leaving through the public interface is
///   dropped (host traffic and, through the forward path, container traffic).
/// - `public_interface`: the interface facing the internet (`eth0` on Hetzner Cloud). The
///   container rules (nftables forward chain, DOCKER-USER) and the egress filter apply to it.
/// - Metadata service: on by default, containers never reach `169.254.169.254` (nor any
///   link-local address) and on the host only root does; see [`MetadataProtection`].
///
/// Renderings: [`ufw_commands`](Self::ufw_commands), [`ufw_script`](Self::ufw_script),
/// [`nftables_conf`](Self::nftables_conf), [`docker_user_script`](Self::docker_user_script)
/// and [`hetzner_rules`](Self::hetzner_rules).
///
/// ```
/// use hardening_model::firewall::{FirewallPolicy, Rule, SshAccess};
/// use hardening_model::values::Port;
///
/// let policy = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
///     .inbound(Rule::tcp(443).describe("HTTPS"))
///     .outbound(Rule::udp(53).describe("DNS"))
///     .build()
///     .unwrap();
/// assert!(policy.egress_restricted());
///
/// let err = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
///     .inbound(Rule::tcp(443).describe("HTTPS\nufw disable"))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.field(), "firewall.inbound[0].description");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallPolicy {
    ssh: SshAccess,
    inbound: Vec<Rule>,
    outbound: Vec<Rule>,
    public_interface: String,
    metadata: Option<MetadataProtection>,
}

/// Builds a [`FirewallPolicy`]; [`build`](Self::build) validates everything.
#[derive(Debug, Clone)]
pub struct FirewallPolicyBuilder {
    policy: FirewallPolicy,
}

impl FirewallPolicy {
    /// Starts a policy around its SSH entry.
    pub fn builder(ssh: SshAccess) -> FirewallPolicyBuilder {
        FirewallPolicyBuilder {
            policy: Self {
                ssh,
                inbound: Vec::new(),
                outbound: Vec::new(),
                public_interface: "eth0".to_owned(),
                metadata: Some(MetadataProtection::default()),
            },
        }
    }

    /// The SSH entry.
    pub fn ssh(&self) -> &SshAccess {
        &self.ssh
    }

    /// The SSH port every rendering uses.
    pub fn ssh_port(&self) -> Port {
        self.ssh.port
    }

    /// Inbound allow rules (besides SSH).
    pub fn inbound(&self) -> &[Rule] {
        &self.inbound
    }

    /// Outbound allow rules; empty means outgoing traffic is not restricted.
    pub fn outbound(&self) -> &[Rule] {
        &self.outbound
    }

    /// True when outbound rules form an allow-list (default deny out).
    pub fn egress_restricted(&self) -> bool {
        !self.outbound.is_empty()
    }

    /// The interface facing the internet.
    pub fn public_interface(&self) -> &str {
        &self.public_interface
    }

    /// Who may reach the cloud metadata service (`None`: no rule, for hosts without one).
    pub fn metadata(&self) -> Option<&MetadataProtection> {
        self.metadata.as_ref()
    }

    /// This policy with one more inbound allow rule, validated as
    /// [`FirewallPolicyBuilder::build`] validates (errors name `firewall.inbound[i]`). For a
    /// service another module describes, such as the monitoring server's scrape of
    /// node_exporter ([`ExporterAccess::firewall_rule`](crate::monitoring::ExporterAccess::firewall_rule)),
    /// so every layer (ufw, nftables, Hetzner) renders it from the one rule.
    pub fn with_inbound(self, rule: Rule) -> Result<Self> {
        FirewallPolicyBuilder { policy: self }.inbound(rule).build()
    }

    /// The SSH entry followed by the inbound rules, as renderers walk them.
    pub(crate) fn inbound_with_ssh(&self) -> Vec<Rule> {
        std::iter::once(self.ssh.as_rule())
            .chain(self.inbound.iter().cloned())
            .collect()
    }
}

impl FirewallPolicyBuilder {
    /// Adds an inbound allow rule.
    #[must_use]
    pub fn inbound(mut self, rule: Rule) -> Self {
        self.policy.inbound.push(rule);
        self
    }

    /// Adds an outbound allow rule; the first one turns outgoing traffic to default deny.
    #[must_use]
    pub fn outbound(mut self, rule: Rule) -> Self {
        self.policy.outbound.push(rule);
        self
    }

    /// Sets the public interface (default `eth0`).
    #[must_use]
    pub fn public_interface(mut self, name: impl Into<String>) -> Self {
        self.policy.public_interface = name.into();
        self
    }

    /// Replaces the metadata protection (default: [`MetadataProtection::default`], root only
    /// on the host, never from containers); `None` renders no metadata rule at all.
    #[must_use]
    pub fn metadata(mut self, protection: Option<MetadataProtection>) -> Self {
        self.policy.metadata = protection;
        self
    }

    /// Validates and returns the policy. Errors name the field, e.g.
    /// `firewall.inbound[3].description` or `firewall.ssh.sources[0]`.
    pub fn build(self) -> Result<FirewallPolicy> {
        let p = self.policy;
        check_peers(&p.ssh.sources).map_err(|e| {
            let field = e.field().replacen("peers", "sources", 1);
            Error::new(field, e.problem().clone())
                .within("ssh")
                .within("firewall")
        })?;
        check_interface(&p.public_interface).map_err(|e| e.within("firewall"))?;
        for (i, rule) in p.inbound.iter().enumerate() {
            let at = format!("firewall.inbound[{i}]");
            rule.validate(false).map_err(|e| e.within(&at))?;
            if let Some(ports) = rule.ports()
                && rule.protocol() == super::Protocol::Tcp
                && ports.contains(p.ssh.port)
            {
                return Err(Error::new(
                    format!("{at}.ports"),
                    Problem::Conflict(format!(
                        "opens the SSH port {} without the SSH entry's sources and rate limit",
                        p.ssh.port
                    )),
                ));
            }
        }
        for (i, rule) in p.outbound.iter().enumerate() {
            rule.validate(true)
                .map_err(|e| e.within(&format!("firewall.outbound[{i}]")))?;
        }
        Ok(p)
    }
}

/// A Linux interface name: 1-15 characters of ASCII letters, digits and `._-`, not `.`/`..`.
fn check_interface(name: &str) -> Result<()> {
    let field = "public_interface";
    check_non_empty(field, name)?;
    check_max_len(field, name, 15)?;
    check_chars(field, name, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    })?;
    if name == "." || name == ".." || name.starts_with('-') {
        return Err(Error::invalid(field, "not a valid interface name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh() -> SshAccess {
        SshAccess::new(Port::new(2222).unwrap())
    }

    #[test]
    fn errors_name_the_rule() {
        let err = FirewallPolicy::builder(ssh())
            .inbound(Rule::tcp(80))
            .inbound(Rule::tcp(443))
            .inbound(Rule::tcp(8443))
            .inbound(Rule::tcp(9000).describe("x'y"))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "firewall.inbound[3].description");

        let err = FirewallPolicy::builder(ssh())
            .outbound(Rule::udp(0))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "firewall.outbound[0].ports");
    }

    #[test]
    fn ssh_sources_and_interface_are_checked() {
        let err = FirewallPolicy::builder(ssh().from(["10.0.0.1/8".parse().unwrap()]))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "firewall.ssh.sources[0]");
        for bad in ["", "eth0; reboot", "a-very-long-interface", "eth 0", "-x"] {
            let err = FirewallPolicy::builder(ssh())
                .public_interface(bad)
                .build()
                .unwrap_err();
            assert_eq!(err.field(), "firewall.public_interface", "{bad:?}");
        }
    }

    #[test]
    fn a_rule_opening_the_ssh_port_is_a_conflict() {
        let err = FirewallPolicy::builder(ssh())
            .inbound(Rule::tcp_range(2000, 3000))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "firewall.inbound[0].ports");
        assert!(matches!(err.problem(), Problem::Conflict(_)));
        // UDP on the same number is a different service.
        assert!(
            FirewallPolicy::builder(ssh())
                .inbound(Rule::udp(2222))
                .build()
                .is_ok()
        );
    }

    #[test]
    fn the_ssh_description_passes_the_description_rules() {
        assert!(crate::firewall::check_description(SSH_DESCRIPTION).is_ok());
    }

    #[test]
    fn egress_is_restricted_only_with_an_allow_list() {
        let open = FirewallPolicy::builder(ssh()).build().unwrap();
        assert!(!open.egress_restricted());
        let closed = FirewallPolicy::builder(ssh())
            .outbound(Rule::tcp(443))
            .build()
            .unwrap();
        assert!(closed.egress_restricted());
        assert_eq!(closed.inbound_with_ssh().len(), 1);
    }
}
