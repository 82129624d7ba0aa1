//! The metadata service guard: containers never reach `169.254.169.254` (nor any link-local
//! address), host processes only as root. Checked three ways: `nft -c` on the rendered
//! ruleset, a rule-by-rule walk of the rendered DOCKER-USER commands for a container packet,
//! and a real kernel load of the ruleset where a non-root process is refused and root is not.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::net::IpAddr;

use hardening_model::IpNet;
use hardening_model::firewall::metadata::METADATA_ADDRESS;
use hardening_model::firewall::{FirewallPolicy, MetadataProtection, SshAccess};
use hardening_model::presets::firewall::{baseline, cloudflare_fallback_ranges};
use hardening_model::values::Port;

fn policies() -> Vec<(&'static str, FirewallPolicy)> {
    let cf = cloudflare_fallback_ranges();
    vec![
        (
            "baseline with Wazuh egress",
            baseline(
                Port::new(42022).unwrap(),
                &[],
                &cf,
                Some(&["192.0.2.5/32".parse().unwrap()]),
            )
            .unwrap(),
        ),
        (
            "baseline without Wazuh",
            baseline(Port::new(42022).unwrap(), &[], &cf, None).unwrap(),
        ),
    ]
}

/// A packet as DOCKER-USER sees it: a new connection, forwarded.
struct Packet {
    v6: bool,
    iif: &'static str,
    oif: &'static str,
    src: IpAddr,
    dst: IpAddr,
    proto: &'static str,
    dport: u16,
}

fn port_matches(spec: &str, port: u16) -> bool {
    match spec.split_once(':') {
        Some((a, b)) => (a.parse().unwrap()..=b.parse().unwrap()).contains(&port),
        None => spec.parse::<u16>().unwrap() == port,
    }
}

/// The target of the first rendered DOCKER-USER rule that matches `p` (after the flush),
/// reading only the matches the rendering uses. A `hashlimit --hashlimit-above` rule does not
/// match a first packet.
fn verdict(policy: &FirewallPolicy, p: &Packet) -> String {
    let tool = if p.v6 { "ip6tables" } else { "iptables" };
    for cmd in policy.docker_user_commands() {
        if cmd[0] != tool || cmd[2] != "-A" {
            continue;
        }
        let mut args = cmd[4..].iter().map(String::as_str);
        let mut matched = true;
        let mut target = String::new();
        while let Some(a) = args.next() {
            let mut value = || args.next().unwrap();
            match a {
                "-i" => matched &= value() == p.iif,
                "-o" => matched &= value() == p.oif,
                "-s" => matched &= value().parse::<IpNet>().unwrap().contains(&p.src),
                "-d" => matched &= value().parse::<IpNet>().unwrap().contains(&p.dst),
                "-p" => matched &= value() == p.proto,
                "--ctstate" => matched &= value().split(',').any(|s| s == "NEW"),
                "--dport" | "--ctorigdstport" => matched &= port_matches(value(), p.dport),
                "--hashlimit-above" => {
                    value();
                    matched = false;
                }
                "-m"
                | "--comment"
                | "--hashlimit-mode"
                | "--hashlimit-name"
                | "--hashlimit-burst"
                | "--hashlimit-srcmask" => {
                    value();
                }
                "-j" => target = value().to_owned(),
                other => panic!("the walk does not know {other:?} in {cmd:?}"),
            }
        }
        if matched {
            return target;
        }
    }
    panic!("no DOCKER-USER rule matched")
}

fn container_to(dst: &str, dport: u16) -> Packet {
    let dst: IpAddr = dst.parse().unwrap();
    Packet {
        v6: dst.is_ipv6(),
        iif: "docker0",
        oif: "eth0",
        src: if dst.is_ipv6() {
            "fd00:dead::2".parse().unwrap()
        } else {
            "172.17.0.2".parse().unwrap()
        },
        dst,
        proto: "tcp",
        dport,
    }
}

#[test]
fn a_container_packet_to_the_metadata_service_is_dropped() {
    for (name, policy) in policies() {
        assert_eq!(
            verdict(&policy, &container_to("169.254.169.254", 80)),
            "DROP",
            "{name}"
        );
        assert_eq!(
            verdict(&policy, &container_to("fe80::1", 80)),
            "DROP",
            "{name}"
        );
        // The walk can tell: other container traffic is not dropped by this guard.
        let web = verdict(&policy, &container_to("93.184.216.34", 6667));
        assert_eq!(
            web,
            if policy.egress_restricted() {
                "DROP"
            } else {
                "RETURN"
            },
            "{name}"
        );
        let wazuh = if name.contains("with Wazuh") {
            "RETURN"
        } else {
            "DROP"
        };
        assert_eq!(
            verdict(&policy, &container_to("192.0.2.5", 1514)),
            wazuh,
            "{name}"
        );
    }
    // Without the guard the same packet goes on to Docker's own rules.
    let open = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
        .metadata(None)
        .build()
        .unwrap();
    assert_eq!(
        verdict(&open, &container_to("169.254.169.254", 80)),
        "RETURN"
    );
}

#[test]
fn the_nftables_forward_chain_drops_link_local_before_anything_else() {
    for (name, policy) in policies() {
        let conf = policy.nftables_conf().content;
        let forward = &conf[conf.find("\tchain forward {").unwrap()..];
        let rules: Vec<&str> = forward.lines().skip(2).map(str::trim).collect();
        assert!(
            rules[0].starts_with("ip daddr 169.254.0.0/16 counter drop"),
            "{name}: {rules:?}"
        );
        assert!(
            rules[1].starts_with("ip6 daddr fe80::/10 counter drop"),
            "{name}"
        );
        let output = &conf[conf.find("\tchain output {").unwrap()..];
        let first = output.lines().nth(2).unwrap().trim();
        assert!(
            first.starts_with(&format!(
                "ip daddr {METADATA_ADDRESS} meta skuid != 0 counter drop"
            )),
            "{name}: {first}"
        );
    }
    let any = FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
        .metadata(Some(MetadataProtection::default().any_host_process()))
        .build()
        .unwrap()
        .nftables_conf()
        .content;
    assert!(!any.contains("skuid"));
    assert!(!any.contains("chain output"));
    assert!(any.contains("ip daddr 169.254.0.0/16 counter drop"));
}

#[test]
fn nft_accepts_the_guarded_rulesets() {
    let Some(nft) = hardening_validators::nft() else {
        return;
    };
    for (name, policy) in policies() {
        let conf = policy.nftables_conf().content;
        if let Err(e) = nft.check(&conf) {
            panic!("{name}: nft -c rejected the ruleset: {e}\n{conf}");
        }
    }
}

/// The host rule in a real kernel: the metadata address is put on `lo` of a private network
/// namespace with a listener; root connects, uid 65534 (`nobody`) is dropped.
#[test]
fn only_root_reaches_the_metadata_address_on_the_host() {
    let Some(netns) = hardening_validators::nft_netns() else {
        return;
    };
    let probe = format!(
        r#"ip addr add {METADATA_ADDRESS}/32 dev lo
python3 - <<'PY'
import os, socket, sys
srv = socket.socket(); srv.bind(("{METADATA_ADDRESS}", 80)); srv.listen(8)
def connect():
    s = socket.socket(); s.settimeout(1.5)
    try:
        s.connect(("{METADATA_ADDRESS}", 80)); return "connected"
    except OSError as e:
        return type(e).__name__
print("root:", connect())
pid = os.fork()
if pid == 0:
    os.setgid(65534); os.setuid(65534)
    print("nobody:", connect()); sys.stdout.flush(); os._exit(0)
os.waitpid(pid, 0)
PY
"#
    );
    for (name, policy) in policies() {
        let out = netns.run(&policy.nftables_conf().content, &probe).unwrap();
        assert!(out.contains("root: connected"), "{name}: {out}");
        assert!(
            out.contains("nobody: TimeoutError") || out.contains("nobody: timeout"),
            "{name}: {out}"
        );
    }
}
