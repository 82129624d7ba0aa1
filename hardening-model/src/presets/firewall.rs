//! The runbook's firewall baseline (sections 1.4 and 4.1-4.5) with every known erratum fixed.
//!
//! [`baseline`] returns one [`FirewallPolicy`]; ufw, nftables, DOCKER-USER and the Hetzner
//! Cloud firewall are all rendered from it, so the layers cannot disagree.

use ipnet::IpNet;

use crate::firewall::{FirewallPolicy, Rule, SshAccess};
use crate::values::Port;
use crate::{Error, Problem, Result};

/// Cloudflare's published edge ranges (IPv4 then IPv6), for offline use.
///
/// This is a **snapshot** (the lists `GET /client/v4/ips` returned in 2026: 15 IPv4 and 7 IPv6
/// ranges). Cloudflare changes them rarely but does change them: `cloudflare-client` fetches
/// the current lists with their `etag`, and callers should prefer that and fall back to this
/// function only when offline. The runbook's Caddy allow-list had the IPv4 ranges only; both
/// families are here.
///
/// ```
/// let ranges = hardening_model::presets::firewall::cloudflare_fallback_ranges();
/// assert_eq!(ranges.iter().filter(|n| matches!(n, hardening_model::IpNet::V4(_))).count(), 15);
/// assert_eq!(ranges.iter().filter(|n| matches!(n, hardening_model::IpNet::V6(_))).count(), 7);
/// ```
pub fn cloudflare_fallback_ranges() -> Vec<IpNet> {
    const RANGES: &[&str] = &[
        "173.245.48.0/20",
        "103.21.244.0/22",
        "103.22.200.0/22",
        "103.31.4.0/22",
        "141.101.64.0/18",
        "108.162.192.0/18",
        "190.93.240.0/20",
        "188.114.96.0/20",
        "197.234.240.0/22",
        "198.41.128.0/17",
        "162.158.0.0/15",
        "104.16.0.0/13",
        "104.24.0.0/14",
        "172.64.0.0/13",
        "131.0.72.0/22",
        "2400:cb00::/32",
        "2606:4700::/32",
        "2803:f800::/32",
        "2405:b500::/32",
        "2405:8100::/32",
        "2a06:98c0::/29",
        "2c0f:f248::/32",
    ];
    RANGES.iter().filter_map(|r| r.parse().ok()).collect()
}

/// The baseline firewall for a Docker Compose + Caddy host behind Cloudflare.
///
/// - **Inbound**: SSH on `ssh_port` from `admin_sources` (anywhere when empty), rate-limited per
///   source; TCP 80 and 443 only from `cloudflare_ranges` (IPv4 and IPv6); everything else
///   denied.
/// - **Outbound allow-list** (default deny out): DNS (UDP and TCP 53), NTP (UDP 123), HTTP and
///   HTTPS (TCP 80/443: apt mirrors, registries, ACME, the Hetzner metadata service), and
///   with `wazuh_managers` given, the Wazuh agent ports TCP 1514-1515 to those managers
///   (anywhere when the slice is empty).
///
/// Departures from the runbook, and why:
/// 1. **SSH port** (erratum 2): the runbook's Hetzner firewall opens 22 while sshd moves to a
///    random port, locking admins out. Here the one `ssh_port` reaches ufw, nftables,
///    DOCKER-USER and the Hetzner rules (and, through the sshd preset, sshd and `ssh.socket`).
/// 2. **80/443 only from Cloudflare**, IPv4 and IPv6, at every layer (the runbook allowed
///    `0.0.0.0/0` at Hetzner): the origin is reachable only through the proxy. An empty
///    `cloudflare_ranges` is an error rather than a silent "anywhere"; use
///    [`cloudflare_fallback_ranges`] offline.
/// 3. **No per-source rate limit on 80/443** (runbook 4.2 limited 150/min and 50/min): every
///    source there is a Cloudflare edge carrying many clients, so a per-source limit throttles
///    real users together, and a global one (the runbook's `limit rate`, erratum 6) throttles
///    everyone. Rate limiting belongs to Cloudflare's rate-limit rules and to Caddy keyed on
///    `{client_ip}`. SSH keeps its per-source limit.
/// 4. **Egress is default deny** on every layer, containers included (erratum 7): at Hetzner for
///    everything, on the host for everything leaving through the public interface (loopback,
///    Docker bridges and private networks stay open, so the host can reach its containers and
///    renew its DHCP lease). Runbook 4.1 said `default allow outgoing` and 4.4 `deny`; the Hetzner rules allowed DNS over UDP only
///    while ufw also allowed TCP 53: both are allowed everywhere here. Wazuh's 1514/1515 are
///    allowed when the caller uses Wazuh (the runbook's own egress rules blocked its agent).
/// 5. **No explicit deny rules for 23/3389/5900**: default deny already drops them, and the
///    rendered rulesets log drops (rate-limited), which was the runbook's reason for them.
/// 6. **No iptables-persistent** and ufw's `/etc/ufw/sysctl.conf` neutralised (erratum 4);
///    container rules are re-applied by a systemd unit instead (see
///    [`docker_user`](crate::firewall::docker_user)).
///
/// # Errors
/// `firewall.cloudflare_ranges` when empty, and any error of [`FirewallPolicyBuilder::build`](
/// crate::firewall::FirewallPolicyBuilder::build) (e.g. `firewall.ssh.sources[0]` with host bits
/// set, or `firewall.inbound[0].ports` when `ssh_port` is 80 or 443).
///
/// ```
/// use hardening_model::presets::firewall::{baseline, cloudflare_fallback_ranges};
/// use hardening_model::values::Port;
///
/// let policy = baseline(
///     Port::new(42022).unwrap(),
///     &["203.0.113.7/32".parse().unwrap()],
///     &cloudflare_fallback_ranges(),
///     None,
/// )
/// .unwrap();
/// assert_eq!(policy.ssh_port().get(), 42022);
/// assert!(policy.egress_restricted());
/// assert!(policy.hetzner_rules().unwrap().len() <= 50);
/// ```
pub fn baseline(
    ssh_port: Port,
    admin_sources: &[IpNet],
    cloudflare_ranges: &[IpNet],
    wazuh_managers: Option<&[IpNet]>,
) -> Result<FirewallPolicy> {
    if cloudflare_ranges.is_empty() {
        return Err(Error::new("firewall.cloudflare_ranges", Problem::Empty));
    }
    let cf = || cloudflare_ranges.iter().copied();
    let mut builder =
        FirewallPolicy::builder(SshAccess::new(ssh_port).from(admin_sources.iter().copied()))
            .inbound(
                Rule::tcp(80)
                    .peers(cf())
                    .describe("HTTP from Cloudflare, Caddy redirects to HTTPS"),
            )
            .inbound(
                Rule::tcp(443)
                    .peers(cf())
                    .describe("HTTPS from Cloudflare, Caddy"),
            )
            .outbound(Rule::udp(53).describe("DNS"))
            .outbound(Rule::tcp(53).describe("DNS over TCP"))
            .outbound(Rule::udp(123).describe("NTP"))
            .outbound(Rule::tcp(80).describe("HTTP: apt mirrors, metadata service"))
            .outbound(Rule::tcp(443).describe("HTTPS: apt, registries, ACME, APIs"));
    if let Some(managers) = wazuh_managers {
        builder = builder.outbound(
            Rule::tcp_range(1514, 1515)
                .peers(managers.iter().copied())
                .describe("Wazuh agent and enrollment"),
        );
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{HetznerDirection, Protocol};

    #[test]
    fn fallback_ranges_are_valid_networks() {
        let r = cloudflare_fallback_ranges();
        assert_eq!(r.len(), 22);
        assert!(r.iter().all(|n| n.trunc() == *n));
    }

    #[test]
    fn baseline_shape() {
        let p = baseline(
            Port::new(2222).unwrap(),
            &[],
            &cloudflare_fallback_ranges(),
            Some(&["192.0.2.5/32".parse().unwrap()]),
        )
        .unwrap();
        assert!(p.ssh().sources().is_empty());
        assert_eq!(p.inbound().len(), 2);
        assert!(p.inbound().iter().all(|r| r.peer_list().len() == 22));
        assert!(p.inbound().iter().all(|r| r.rate_limit().is_none()));
        assert_eq!(p.outbound().len(), 6);
        assert!(p.outbound().iter().any(
            |r| r.protocol() == Protocol::Tcp && r.ports().unwrap().to_string() == "1514-1515"
        ));
        let h = p.hetzner_rules().unwrap();
        assert_eq!(h.len(), 9);
        assert_eq!(
            h.iter()
                .filter(|r| r.direction == HetznerDirection::Out)
                .count(),
            6
        );
    }

    #[test]
    fn baseline_rejects_bad_input() {
        let e = baseline(Port::new(2222).unwrap(), &[], &[], None).unwrap_err();
        assert_eq!(e.field(), "firewall.cloudflare_ranges");
        let e = baseline(
            Port::new(443).unwrap(),
            &[],
            &cloudflare_fallback_ranges(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.field(), "firewall.inbound[1].ports");
    }
}
