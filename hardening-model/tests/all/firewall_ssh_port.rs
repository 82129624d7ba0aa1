//! The SSH port is one value: for random ports, the same number reaches ufw, nftables,
//! DOCKER-USER and the Hetzner firewall values, and no SSH entry anywhere carries another port.

#![allow(clippy::unwrap_used)] // tests may unwrap

use hardening_model::IpNet;
use hardening_model::firewall::{FirewallPolicy, HetznerDirection, SSH_DESCRIPTION};
use hardening_model::presets::firewall::{baseline, cloudflare_fallback_ranges};
use hardening_model::values::Port;
use proptest::prelude::*;

fn policy(port: u16) -> FirewallPolicy {
    let admins: Vec<IpNet> = vec![
        "203.0.113.7/32".parse().unwrap(),
        "2001:db8:1::/48".parse().unwrap(),
    ];
    baseline(
        Port::new(port).unwrap(),
        &admins,
        &cloudflare_fallback_ranges(),
        Some(&["192.0.2.5/32".parse().unwrap()]),
    )
    .unwrap()
}

/// The value following `flag` in an argv.
fn after<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter()
        .position(|a| a == flag)
        .and_then(|i| argv.get(i + 1))
        .map(String::as_str)
}

fn check(port: u16) {
    let p = policy(port);
    let want = port.to_string();
    assert_eq!(p.ssh_port().get(), port);

    // ufw: every SSH command opens exactly this port, one per admin source, with `allow`:
    // ufw's fixed `limit` counted every SYN and locked automation out (erratum 36).
    let ufw = p.ufw_commands();
    assert!(ufw.iter().all(|c| c[1] != "limit"), "{ufw:?}");
    let ssh: Vec<_> = ufw
        .iter()
        .filter(|c| c.iter().any(|a| a == SSH_DESCRIPTION))
        .collect();
    assert_eq!(ssh.len(), 2, "{ssh:?}");
    for c in &ssh {
        assert_eq!(c[1], "allow");
        assert_eq!(after(c, "port"), Some(want.as_str()), "{c:?}");
    }

    // nftables: every line mentioning SSH (meter or comment) matches exactly this port.
    let conf = p.nftables_conf().content;
    let lines: Vec<&str> = conf
        .lines()
        .filter(|l| l.contains("@ssh_rate") || l.contains(SSH_DESCRIPTION))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for l in lines {
        let at = l.find("proto-dst ").expect("port match") + "proto-dst ".len();
        let rendered: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
        assert_eq!(rendered, want, "{l}");
    }

    // DOCKER-USER: the SSH entries (hashlimit name or comment) match this original port.
    let du = p.docker_user_commands();
    let ssh: Vec<_> = du
        .iter()
        .filter(|c| {
            after(c, "--hashlimit-name") == Some("hardening-ssh")
                || after(c, "--comment") == Some(SSH_DESCRIPTION)
        })
        .collect();
    assert_eq!(ssh.len(), 4);
    for c in ssh {
        assert_eq!(after(c, "--ctorigdstport"), Some(want.as_str()), "{c:?}");
    }

    // Hetzner: the SSH rule has this port; no other inbound rule opens it.
    let rules = p.hetzner_rules().unwrap();
    let ssh: Vec<_> = rules
        .iter()
        .filter(|r| r.description.as_deref() == Some(SSH_DESCRIPTION))
        .collect();
    assert_eq!(ssh.len(), 1);
    assert_eq!(ssh[0].port.map(|r| r.to_string()), Some(want.clone()));
    assert_eq!(ssh[0].source_ips.len(), 2);
    assert!(
        rules
            .iter()
            .filter(|r| r.direction == HetznerDirection::In
                && r.description.as_deref() != Some(SSH_DESCRIPTION))
            .all(|r| !r.port.unwrap().contains(p.ssh_port()))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn one_ssh_port_everywhere(port in 1u16..=u16::MAX) {
        prop_assume!(port != 80 && port != 443);
        check(port);
    }
}

#[test]
fn edge_ports() {
    for port in [1, 22, 53, 79, 81, 442, 444, 1514, 2222, 65535] {
        check(port);
    }
}

#[test]
fn ssh_on_a_web_port_is_refused() {
    for port in [80, 443] {
        let err = baseline(
            Port::new(port).unwrap(),
            &[],
            &cloudflare_fallback_ranges(),
            None,
        )
        .unwrap_err();
        assert!(err.field().ends_with(".ports"), "{}", err.field());
    }
}
