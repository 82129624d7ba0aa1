//! The sshd baseline as rendered: one port everywhere, the errata fixed, certificate files real.
#![allow(clippy::unwrap_used)] // shared test functions unwrap, like the tests themselves

use hardening_model::IpNet;
use hardening_model::presets::{firewall, host};
use hardening_model::sshd::{
    CaPublicKey, CertAuthority, Kex, OpenSshVersion, Principal, SOCKET_DROPIN_PATH, SshCrypto,
    SshdPolicy,
};
use hardening_model::values::{Port, UnixUser};
use hardening_model::{Problem, RenderedFile};
use proptest::prelude::*;

const CA_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAIM7FEzqxm1cR/Y3nAPSzu0406Vns0qxAyrWw7irUDP fleet-ca";

fn users() -> Vec<UnixUser> {
    vec![UnixUser::new("deploy").unwrap()]
}

fn value<'a>(content: &'a str, keyword: &str) -> Vec<&'a str> {
    content
        .lines()
        .filter_map(|l| l.strip_prefix(keyword)?.strip_prefix(' '))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// The one port reaches the fragment, the socket drop-in and the apply steps.
    #[test]
    fn one_port_everywhere(port in 1u16..) {
        // 80 and 443 belong to Caddy: the firewall baseline refuses them as the SSH port
        // (covered by `ssh_on_a_web_port_is_refused` in firewall_ssh_port.rs).
        prop_assume!(port != 80 && port != 443);
        let policy = host::sshd(Port::new(port).unwrap(), &users()).unwrap();
        let files = policy.files().unwrap();
        let fragment = &files[0].content;
        prop_assert_eq!(value(fragment, "Port"), vec![port.to_string()]);
        let dropin = files.iter().find(|f| f.path == SOCKET_DROPIN_PATH).unwrap();
        let listen: Vec<&str> = dropin.content.lines().filter_map(|l| l.strip_prefix("ListenStream=")).collect();
        let v4 = format!("0.0.0.0:{port}");
        let v6 = format!("[::]:{port}");
        prop_assert_eq!(listen, vec!["", v4.as_str(), v6.as_str()]);
        let check = format!("sport = :{port}");
        prop_assert!(policy.socket().apply_steps().iter().any(|s| s.argv.last() == Some(&check)));
        // The firewall built from the same value opens the same port.
        let admins: Vec<IpNet> = vec!["203.0.113.7/32".parse().unwrap()];
        let firewall = firewall::baseline(policy.port(), &admins, &firewall::cloudflare_fallback_ranges(), None).unwrap();
        prop_assert_eq!(firewall.ssh_port(), policy.port());
    }
}

#[test]
fn baseline_fixes_the_runbook() {
    let policy = host::sshd(Port::new(22222).unwrap(), &users()).unwrap();
    let text = policy.render().unwrap().content;
    assert!(!text.contains("mlkem768x25519-sha256"));
    assert_eq!(value(&text, "HostKey"), ["/etc/ssh/ssh_host_ed25519_key"]);
    assert_eq!(value(&text, "HostKeyAlgorithms"), ["ssh-ed25519"]);
    assert!(value(&text, "PubkeyAcceptedAlgorithms")[0].contains("sk-ssh-ed25519@openssh.com"));
    for (k, v) in [
        ("PermitRootLogin", "no"),
        ("PasswordAuthentication", "no"),
        ("KbdInteractiveAuthentication", "no"),
        ("LogLevel", "VERBOSE"),
        ("X11Forwarding", "no"),
        ("AllowAgentForwarding", "no"),
        ("PermitTunnel", "no"),
        ("MaxAuthTries", "2"),
        ("LoginGraceTime", "20"),
        ("MaxSessions", "3"),
        ("MaxStartups", "10:30:60"),
        ("PerSourceMaxStartups", "3"),
        ("ClientAliveInterval", "300"),
        ("ClientAliveCountMax", "2"),
        ("AllowUsers", "deploy"),
        ("Banner", "/etc/issue.net"),
    ] {
        assert_eq!(value(&text, k), [v], "{k}");
    }
    // Every keyword appears once: sshd keeps the first value, so a repeat would be dead text.
    let mut keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert!(text.contains("FIRST value"));
}

#[test]
fn preset_requires_admin_users() {
    let e = host::sshd(Port::new(2222).unwrap(), &[]).unwrap_err();
    assert_eq!(e.field(), "sshd.allow_users");
    assert_eq!(e.problem(), &Problem::Empty);
}

#[test]
fn mlkem_needs_openssh_9_9() {
    let mut crypto = SshCrypto::baseline(false);
    crypto.kex.insert(0, Kex::Mlkem768X25519Sha256);
    let on_noble = SshdPolicy::new(Port::new(22).unwrap()).crypto(crypto.clone());
    assert_eq!(on_noble.render().unwrap_err().field(), "sshd.crypto.kex[0]");
    let newer = on_noble.target(OpenSshVersion::new(9, 9)).render().unwrap();
    assert!(
        newer
            .content
            .contains("KexAlgorithms mlkem768x25519-sha256,sntrup761x25519")
    );
}

#[test]
fn certificate_trust_renders_directives_and_files() {
    let ca = CertAuthority::new(CaPublicKey::parse(CA_KEY).unwrap()).allow(
        UnixUser::new("deploy").unwrap(),
        [
            Principal::new("fleet-admins").unwrap(),
            Principal::new("oncall").unwrap(),
        ],
    );
    let policy = host::sshd(Port::new(2222).unwrap(), &users())
        .unwrap()
        .cert_authority(ca);
    let files: Vec<RenderedFile> = policy.files().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/etc/ssh/sshd_config.d/10-hardening.conf",
            SOCKET_DROPIN_PATH,
            "/etc/ssh/trusted_user_ca_keys.pub",
            "/etc/ssh/auth_principals/deploy",
        ]
    );
    let text = &files[0].content;
    assert_eq!(
        value(text, "TrustedUserCAKeys"),
        ["/etc/ssh/trusted_user_ca_keys.pub"]
    );
    assert_eq!(
        value(text, "AuthorizedPrincipalsFile"),
        ["/etc/ssh/auth_principals/%u"]
    );
    assert_eq!(files[2].content, format!("{CA_KEY}\n"));
    assert_eq!(files[3].content, "fleet-admins\noncall\n");
    assert!(
        files[2..]
            .iter()
            .all(|f| f.mode == 0o644 && f.owner == "root:root")
    );
    assert_eq!(files[0].mode, 0o600);
}

#[test]
fn principals_for_a_user_sshd_refuses_are_a_conflict() {
    let ca = CertAuthority::new(CaPublicKey::parse(CA_KEY).unwrap()).allow(
        UnixUser::new("intruder").unwrap(),
        [Principal::new("x").unwrap()],
    );
    let e = host::sshd(Port::new(2222).unwrap(), &users())
        .unwrap()
        .cert_authority(ca)
        .render()
        .unwrap_err();
    assert_eq!(e.field(), "sshd.cert_authority.principals.intruder");
    assert!(matches!(e.problem(), Problem::Conflict(_)));
}
