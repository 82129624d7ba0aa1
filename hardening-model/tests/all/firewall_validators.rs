//! Real validators on the firewall renderings: `nft -c -f` on the nftables ruleset and
//! `ufw --dry-run` on every generated ufw rule command.

#![allow(clippy::unwrap_used)] // tests may unwrap

use hardening_model::IpNet;
use hardening_model::firewall::ufw::STATEFUL_SUBCOMMANDS;
use hardening_model::firewall::{FirewallPolicy, RateLimit, Rule, SshAccess};
use hardening_model::presets::firewall::{baseline, cloudflare_fallback_ranges};
use hardening_model::values::Port;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// The baseline and a few variants that exercise every rendering branch.
fn variants() -> Vec<(&'static str, FirewallPolicy)> {
    let cf = cloudflare_fallback_ranges();
    vec![
        (
            "baseline with admins and Wazuh",
            baseline(
                Port::new(42022).unwrap(),
                &[net("203.0.113.7/32"), net("2001:db8:1::/48")],
                &cf,
                Some(&[net("192.0.2.5/32"), net("2001:db8:ffff::10/128")]),
            )
            .unwrap(),
        ),
        (
            "baseline, SSH from anywhere, no Wazuh",
            baseline(Port::new(22).unwrap(), &[], &cf, None).unwrap(),
        ),
        (
            "open egress, rate limits from any source, ICMP, ranges, other interface",
            FirewallPolicy::builder(
                SshAccess::new(Port::new(65535).unwrap()).rate_limit(RateLimit::new(3, 1).unwrap()),
            )
            .inbound(
                Rule::tcp(443)
                    .describe("HTTPS, per-source limit")
                    .rate_limited(RateLimit::new(150, 50).unwrap()),
            )
            .inbound(Rule::udp_range(60000, 61000).describe("mosh"))
            .inbound(Rule::icmp().describe("ping"))
            .inbound(Rule::tcp(8443).peers([net("2001:db8::/32")]))
            .public_interface("enp1s0")
            .build()
            .unwrap(),
        ),
        (
            "egress with ICMP, unicode and over-long comments",
            FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
                .inbound(Rule::tcp(80).describe("Zugriff für alle, Büro ".repeat(10)))
                .outbound(Rule::icmp().describe("ping out"))
                .outbound(Rule::udp(53).peers([net("9.9.9.9/32"), net("2620:fe::fe/128")]))
                .build()
                .unwrap(),
        ),
    ]
}

#[test]
fn nft_accepts_every_rendered_ruleset() {
    let Some(nft) = hardening_validators::nft() else {
        return;
    };
    for (name, policy) in variants() {
        let conf = policy.nftables_conf().content;
        if let Err(e) = nft.check(&conf) {
            panic!("{name}: nft -c rejected the ruleset: {e}\n{conf}");
        }
    }
}

#[test]
fn nft_accepts_loading_the_ruleset_over_itself() {
    // One batch holding the file twice: the second copy meets the table the first created,
    // which is what a reload (or a second boot-time load) does. `delete table` then re-create
    // must keep that valid.
    let Some(nft) = hardening_validators::nft() else {
        return;
    };
    let (_, policy) = variants().remove(0);
    let conf = policy.nftables_conf().content;
    nft.check(&format!("{conf}\n{conf}")).unwrap();
    // Without the delete, re-adding the named sets would still work but the rules would
    // double; the rendering must carry the delete.
    assert!(conf.contains("\ndelete table inet hardening\n"));
}

#[test]
fn nft_rejects_a_broken_ruleset() {
    // Guards the check above: the same validator fails on a damaged rendering.
    let Some(nft) = hardening_validators::nft() else {
        return;
    };
    let (_, policy) = variants().remove(0);
    let broken = policy
        .nftables_conf()
        .content
        .replace("ct original proto-dst", "ct original proto-dstx");
    assert!(nft.check(&broken).is_err());
}

#[test]
fn ufw_dry_run_accepts_every_generated_rule_command() {
    let Some(ufw) = hardening_validators::ufw() else {
        return;
    };
    for (name, policy) in variants() {
        let all = policy.ufw_commands();
        let rules = policy.ufw_rule_commands();
        // The commands that ufw's --dry-run would still write to /etc/ufw are checked by
        // their exact argv instead of being run.
        let stateful: Vec<Vec<String>> =
            all.iter().filter(|c| !rules.contains(c)).cloned().collect();
        assert_eq!(
            stateful,
            [
                vec!["ufw", "--force", "reset"],
                vec!["ufw", "logging", "medium"],
                vec!["ufw", "--force", "enable"],
            ],
            "{name}"
        );
        assert!(
            stateful
                .iter()
                .all(|c| c.iter().any(|a| STATEFUL_SUBCOMMANDS.contains(&a.as_str())))
        );
        for cmd in rules {
            assert_eq!(cmd[0], "ufw");
            let args: Vec<&str> = cmd[1..].iter().map(String::as_str).collect();
            if let Err(e) = ufw.dry_run(&args) {
                panic!("{name}: ufw --dry-run {args:?} failed: {e}");
            }
        }
    }
}

#[test]
fn ufw_dry_run_rejects_a_bad_command() {
    let Some(ufw) = hardening_validators::ufw() else {
        return;
    };
    assert!(
        ufw.dry_run(&["allow", "proto", "icmp", "from", "any", "to", "any"])
            .is_err()
    );
}
