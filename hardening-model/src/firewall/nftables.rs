//! nftables rendering: a complete `/etc/nftables.conf` (runbook 4.2, erratum 6).
//!
//! Design:
//! - **One table of our own**, `table inet hardening`, replaced atomically: the file declares
//!   the table, deletes it and re-creates it in one `nft -f` transaction, so loading it twice
//!   gives the same ruleset. It **never runs `flush ruleset`**: that would also wipe the
//!   iptables-nft tables of ufw and Docker. Every base chain in every table must accept a
//!   packet for it to pass, so this table can only narrow what ufw and Docker allow.
//! - **Per-source rate limits** use dynamic sets keyed by `ip saddr` / `ip6 saddr`
//!   (`update @set { ip saddr limit rate over N/minute burst B packets } drop`): one bucket per
//!   client; IPv6 clients are keyed by their /64 prefix, since one host usually holds a whole
//!   /64 and could otherwise rotate addresses. The runbook's plain `limit rate` is a single global bucket that any crowd trips for
//!   everyone.
//! - **Docker published ports traverse FORWARD, not INPUT**: Docker DNATs them in its own nat
//!   table. The shared `inbound` chain matches the port with `ct original proto-dst` (the
//!   destination port before DNAT), and both the `input` chain and the `forward` chain (for
//!   DNATed connections arriving on the public interface) jump to it. Anything else arriving
//!   on the public interface for a container is dropped.
//! - **Egress**: when the policy has an allow-list, the `output` chain (host traffic) and the
//!   `forward` chain (container traffic leaving through the public interface) jump to the
//!   `outbound` chain and drop the rest (erratum 7: host-only egress rules do not cover
//!   containers). Traffic to other interfaces (loopback, Docker bridges, private networks) is
//!   not filtered by the egress list.
//! - **Metadata service** ([`MetadataProtection`](super::MetadataProtection)): the `forward`
//!   chain first drops every container packet to a link-local address (IPv4 and IPv6), and
//!   the `output` chain first drops packets to `169.254.169.254` whose socket is not root's.
//! - Always allowed so the host keeps working: loopback, established/related traffic, IPv6
//!   neighbour discovery and ICMPv6 errors, DHCP replies (v4 and v6).
//! - Drops are logged at most 5 times a minute, by the last rule before the drop only (the
//!   runbook's `log` rule logged any packet).
//!
//! **Loaded at boot** by `nftables.service` (Debian/Ubuntu), which runs
//! `nft -f /etc/nftables.conf` before `network-pre.target`. Its stock `ExecStop` is
//! `nft flush ruleset`, which would wipe ufw's and Docker's rules when the service stops;
//! [`service_dropin`] replaces it with deleting only our table. [`boot_commands`] enables the
//! service and loads the file now (cloud-init `runcmd` data).

use std::fmt::Write as _;

use ipnet::IpNet;

use super::policy::FirewallPolicy;
use super::rule::{Protocol, RateLimit, Rule};
use crate::RenderedFile;

/// Name of the nftables table this crate owns (family `inet`).
pub const TABLE: &str = "hardening";

/// Path of the rendered ruleset.
pub const CONF_PATH: &str = "/etc/nftables.conf";

/// Path of the systemd drop-in for `nftables.service`.
pub const DROPIN_PATH: &str = "/etc/systemd/system/nftables.service.d/10-hardening.conf";

/// nftables limits rule comments to 128 bytes.
const MAX_COMMENT_BYTES: usize = 128;

/// Commands that make the ruleset load at boot and apply it now, in order.
///
/// ```
/// let cmds = hardening_model::firewall::nftables::boot_commands();
/// assert_eq!(cmds[1], ["systemctl", "enable", "nftables.service"]);
/// ```
pub fn boot_commands() -> Vec<Vec<String>> {
    [
        ["systemctl", "daemon-reload"].as_slice(),
        &["systemctl", "enable", "nftables.service"],
        &["systemctl", "restart", "nftables.service"],
    ]
    .iter()
    .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
    .collect()
}

/// Drop-in for `nftables.service`: stopping the service deletes only our table instead of
/// running `nft flush ruleset` (which would remove ufw's and Docker's rules).
pub fn service_dropin() -> RenderedFile {
    RenderedFile::root(
        DROPIN_PATH,
        0o644,
        format!(
            "# Rendered by hardening-model: never flush the whole ruleset (ufw and Docker keep\n\
             # their own tables); stopping nftables removes only table inet {TABLE}.\n\
             [Service]\n\
             ExecStop=\n\
             ExecStop=-/usr/sbin/nft delete table inet {TABLE}\n"
        ),
    )
}

impl FirewallPolicy {
    /// The complete `/etc/nftables.conf` (mode 0644). See the [module docs](self) for the
    /// design; `nft -c -f` accepts it.
    ///
    /// ```
    /// use hardening_model::firewall::{FirewallPolicy, SshAccess};
    /// use hardening_model::values::Port;
    /// let conf = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
    ///     .build()
    ///     .unwrap()
    ///     .nftables_conf();
    /// assert!(conf.content.contains("delete table inet hardening"));
    /// assert!(!conf.content.contains("\nflush ruleset"));
    /// assert!(conf.content.contains("update @ssh_rate_v4 { ip saddr limit rate over 12/minute burst 6 packets }"));
    /// ```
    pub fn nftables_conf(&self) -> RenderedFile {
        let iface = self.public_interface();
        let mut sets = String::new();
        let mut inbound = String::new();
        for (i, rule) in self.inbound_with_ssh().iter().enumerate() {
            let name = if i == 0 {
                "ssh_rate".to_owned()
            } else {
                format!("in{}_rate", i - 1)
            };
            if rule.rate_limit().is_some() {
                for (suffix, ty) in [("v4", "ipv4_addr"), ("v6", "ipv6_addr")] {
                    let _ = write!(
                        sets,
                        "\tset {name}_{suffix} {{\n\t\ttype {ty}\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 2m\n\t}}\n\n"
                    );
                }
            }
            inbound_rule(&mut inbound, rule, &name);
        }
        let mut outbound = String::new();
        for rule in self.outbound() {
            outbound_rule(&mut outbound, rule);
        }

        let mut out = format!(
            "#!/usr/sbin/nft -f\n\
             # Rendered by hardening-model from one FirewallPolicy. Loaded at boot by\n\
             # nftables.service. Replaces only table inet {TABLE}; never flushes the ruleset\n\
             # (ufw and Docker keep their own iptables-nft tables).\n\
             table inet {TABLE}\n\
             delete table inet {TABLE}\n\n\
             table inet {TABLE} {{\n"
        );
        out.push_str(&sets);
        out.push_str("\tchain inbound {\n");
        out.push_str(&inbound);
        out.push_str("\t}\n\n");
        if self.egress_restricted() {
            out.push_str("\tchain outbound {\n");
            out.push_str(&outbound);
            out.push_str("\t}\n\n");
        }
        let _ = write!(
            out,
            "\tchain input {{\n\
             \t\ttype filter hook input priority filter + 10; policy drop;\n\
             \t\tiif \"lo\" accept\n\
             \t\tct state established,related accept\n\
             \t\ticmpv6 type {{ destination-unreachable, packet-too-big, time-exceeded, parameter-problem, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }} accept\n\
             \t\tct state invalid drop\n\
             \t\tudp sport 67 udp dport 68 accept\n\
             \t\tudp sport 547 udp dport 546 accept\n\
             \t\tct state new jump inbound\n\
             \t\tlimit rate 5/minute burst 10 packets log prefix \"hardening-drop-in: \" level warn\n\
             \t}}\n\n\
             \tchain forward {{\n\
             \t\ttype filter hook forward priority filter + 10; policy accept;\n\
             {metadata_forward}\
             \t\tct state established,related accept\n\
             \t\tiifname \"{iface}\" ct state invalid drop\n\
             \t\tiifname \"{iface}\" ct state new ct status dnat jump inbound\n\
             \t\tiifname \"{iface}\" limit rate 5/minute burst 10 packets log prefix \"hardening-drop-fwd: \" level warn\n\
             \t\tiifname \"{iface}\" drop\n",
            metadata_forward = self.metadata().map(|m| m.nft_forward()).unwrap_or_default(),
        );
        if self.egress_restricted() {
            let _ = write!(
                out,
                "\t\toifname \"{iface}\" ct state new jump outbound\n\
                 \t\toifname \"{iface}\" limit rate 5/minute burst 10 packets log prefix \"hardening-drop-fwd-out: \" level warn\n\
                 \t\toifname \"{iface}\" drop\n"
            );
        }
        out.push_str("\t}\n");
        let metadata_output = self.metadata().and_then(|m| m.nft_output());
        if !self.egress_restricted()
            && let Some(rule) = &metadata_output
        {
            let _ = write!(
                out,
                "\n\tchain output {{\n\
                 \t\ttype filter hook output priority filter + 10; policy accept;\n\
                 {rule}\
                 \t}}\n"
            );
        }
        if self.egress_restricted() {
            let _ = write!(
                out,
                "\n\tchain output {{\n\
                 \t\ttype filter hook output priority filter + 10; policy accept;\n\
                 {}\
                 \t\toifname != \"{iface}\" accept\n\
                 \t\tct state established,related accept\n\
                 \t\ticmpv6 type {{ destination-unreachable, packet-too-big, time-exceeded, parameter-problem, nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report }} accept\n\
                 \t\tudp sport 68 udp dport 67 accept\n\
                 \t\tudp sport 546 udp dport 547 accept\n\
                 \t\tct state new jump outbound\n\
                 \t\tlimit rate 5/minute burst 10 packets log prefix \"hardening-drop-out: \" level warn\n\
                 \t\tdrop\n\
                 \t}}\n",
                metadata_output.as_deref().unwrap_or_default()
            );
        }
        out.push_str("}\n");
        RenderedFile::root(CONF_PATH, 0o644, out)
    }
}

/// `ip saddr { a, b }` style set literal.
fn net_set(nets: &[IpNet]) -> String {
    let items: Vec<String> = nets.iter().map(ToString::to_string).collect();
    format!("{{ {} }}", items.join(", "))
}

/// The per-family address matches of a rule: `(family, match)` where `match` is empty when
/// the rule applies to any address of that family.
fn families(rule: &Rule, dir: &str) -> Vec<(Family, String)> {
    if rule.peer_list().is_empty() {
        return vec![(Family::V4, String::new()), (Family::V6, String::new())];
    }
    let mut out = Vec::new();
    let v4 = rule.v4_peers();
    if !v4.is_empty() {
        out.push((Family::V4, format!("ip {dir} {} ", net_set(&v4))));
    }
    let v6 = rule.v6_peers();
    if !v6.is_empty() {
        out.push((Family::V6, format!("ip6 {dir} {} ", net_set(&v6))));
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn nfproto(self) -> &'static str {
        match self {
            Self::V4 => "meta nfproto ipv4 ",
            Self::V6 => "meta nfproto ipv6 ",
        }
    }
    fn saddr(self) -> &'static str {
        match self {
            Self::V4 => "ip saddr",
            // One bucket per /64: a single IPv6 host usually holds a whole /64.
            Self::V6 => "ip6 saddr and ffff:ffff:ffff:ffff::",
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Self::V4 => "v4",
            Self::V6 => "v6",
        }
    }
    fn icmp(self) -> &'static str {
        match self {
            Self::V4 => "icmp",
            Self::V6 => "ipv6-icmp",
        }
    }
}

/// The protocol and port match. `original` matches the port before DNAT (inbound), otherwise
/// the transport header's port (outbound).
fn proto_match(rule: &Rule, family: Family, original: bool) -> String {
    match (rule.protocol(), rule.ports()) {
        (Protocol::Icmp, _) | (_, None) => format!("meta l4proto {} ", family.icmp()),
        (proto, Some(ports)) => {
            let name = if proto == Protocol::Tcp { "tcp" } else { "udp" };
            if original {
                format!("meta l4proto {name} ct original proto-dst {ports} ")
            } else {
                format!("meta l4proto {name} th dport {ports} ")
            }
        }
    }
}

fn comment(rule: &Rule) -> String {
    rule.description().map_or_else(String::new, |text| {
        let mut end = text.len().min(MAX_COMMENT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!(" comment \"{}\"", &text[..end])
    })
}

fn inbound_rule(out: &mut String, rule: &Rule, set: &str) {
    let any = rule.peer_list().is_empty();
    for (family, addr) in families(rule, "saddr") {
        let proto = if any { family.nfproto() } else { "" };
        let head = format!("{proto}{addr}{}", proto_match(rule, family, true));
        if let Some(limit) = rule.rate_limit() {
            let _ = writeln!(
                out,
                "\t\t{head}update @{set}_{} {{ {} {} }} counter drop",
                family.suffix(),
                family.saddr(),
                limit_expr(limit)
            );
        }
        let _ = writeln!(out, "\t\t{head}counter accept{}", comment(rule));
    }
}

fn outbound_rule(out: &mut String, rule: &Rule) {
    let any = rule.peer_list().is_empty();
    for (family, addr) in families(rule, "daddr") {
        let proto = if any { family.nfproto() } else { "" };
        let _ = writeln!(
            out,
            "\t\t{proto}{addr}{}counter accept{}",
            proto_match(rule, family, false),
            comment(rule)
        );
    }
}

fn limit_expr(limit: RateLimit) -> String {
    format!(
        "limit rate over {}/minute burst {} packets",
        limit.per_minute(),
        limit.burst()
    )
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
        .inbound(
            Rule::tcp(443)
                .describe("HTTPS")
                .rate_limited(RateLimit::new(150, 50).unwrap()),
        )
        .inbound(Rule::icmp().describe("ping"))
        .outbound(Rule::udp(53).describe("DNS"))
        .outbound(Rule::tcp_range(1514, 1515).peers(["192.0.2.10/32".parse().unwrap()]))
        .build()
        .unwrap()
    }

    #[test]
    fn ssh_is_rate_limited_per_source_in_each_family() {
        let c = policy().nftables_conf().content;
        assert!(c.contains(
            "\t\tip saddr { 198.51.100.0/24 } meta l4proto tcp ct original proto-dst 2222 update @ssh_rate_v4 { ip saddr limit rate over 12/minute burst 6 packets } counter drop\n"
        ));
        assert!(c.contains(
            "\t\tip6 saddr { 2001:db8::/32 } meta l4proto tcp ct original proto-dst 2222 counter accept comment \"SSH, rate-limited per source\"\n"
        ));
        assert!(c.contains("set ssh_rate_v6 {\n\t\ttype ipv6_addr"));
    }

    #[test]
    fn any_source_rules_cover_both_families() {
        let c = policy().nftables_conf().content;
        assert!(c.contains("meta nfproto ipv4 meta l4proto tcp ct original proto-dst 443 update @in0_rate_v4 { ip saddr limit rate over 150/minute burst 50 packets } counter drop"));
        assert!(c.contains("meta nfproto ipv6 meta l4proto tcp ct original proto-dst 443 update @in0_rate_v6 { ip6 saddr and ffff:ffff:ffff:ffff:: limit rate over 150/minute burst 50 packets } counter drop"));
        assert!(
            c.contains("meta nfproto ipv6 meta l4proto ipv6-icmp counter accept comment \"ping\"")
        );
        assert!(!c.contains("in1_rate"));
    }

    #[test]
    fn egress_chains_only_with_an_allow_list() {
        let c = policy().nftables_conf().content;
        assert!(c.contains("\tchain output {"));
        assert!(c.contains("oifname \"eth0\" ct state new jump outbound"));
        assert!(c.contains(
            "ip daddr { 192.0.2.10/32 } meta l4proto tcp th dport 1514-1515 counter accept\n"
        ));
        let open = FirewallPolicy::builder(SshAccess::new(Port::new(22).unwrap()))
            .build()
            .unwrap()
            .nftables_conf()
            .content;
        // The output chain holds only the metadata rule then.
        assert!(open.contains("\tchain output {\n\t\ttype filter hook output priority filter + 10; policy accept;\n\t\tip daddr 169.254.169.254 meta skuid != 0 counter drop"));
        assert!(!open.contains("jump outbound"));
    }

    #[test]
    fn idempotent_table_replacement_and_no_flush() {
        let c = policy().nftables_conf().content;
        let declare = c.find("table inet hardening\n").unwrap();
        let delete = c.find("delete table inet hardening\n").unwrap();
        let define = c.find("table inet hardening {").unwrap();
        assert!(declare < delete && delete < define);
        assert!(
            c.lines()
                .filter(|l| !l.starts_with('#'))
                .all(|l| !l.contains("flush"))
        );
        assert!(
            service_dropin()
                .content
                .contains("ExecStop=\nExecStop=-/usr/sbin/nft delete table inet hardening\n")
        );
    }

    #[test]
    fn ipv6_multicast_listener_reports_leave_unlogged() {
        // The kernel sends MLD reports whenever an interface joins a multicast group (every
        // IPv6 address's solicited-node group): with egress filtering they were dropped and
        // logged as hardening-drop-out.
        let c = policy().nftables_conf().content;
        let out = &c[c.find("chain output {").unwrap()..];
        let icmp = out.lines().find(|l| l.contains("icmpv6 type")).unwrap();
        assert!(
            icmp.contains("mld-listener-report") && icmp.contains("mld2-listener-report"),
            "{icmp}"
        );
        assert!(out.find("mld2-listener-report").unwrap() < out.find("jump outbound").unwrap());
    }

    #[test]
    fn long_comments_are_cut_at_a_char_boundary() {
        let rule = Rule::tcp(1).describe("é".repeat(100));
        let c = comment(&rule);
        assert!(c.len() <= MAX_COMMENT_BYTES + " comment \"\"".len());
        assert!(c.ends_with("é\""));
    }
}
