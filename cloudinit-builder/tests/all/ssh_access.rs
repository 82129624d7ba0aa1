//! SSH is reached only from known places: the admins' networks, a bastion (runbook 3.6), or
//! with certificate-only login (runbook 3.5). Inputs with none of them are refused.

use cloudinit_builder::preset::{HardenedHost, RunbookInputs};
use hardening_model::sshd::{CaSigningKey, Principal};

use crate::fixtures::{self, FULL};

const SSHD_FRAGMENT: &str = "/etc/ssh/sshd_config.d/10-hardening.conf";
const BASTION: &str = "198.51.100.7/32";

/// The fixture's inputs without its admin sources.
fn without_sources() -> RunbookInputs {
    fixtures::inputs(FULL).admin_sources([])
}

/// The ufw script (the same rules reach nftables and DOCKER-USER from one policy).
fn ufw(host: &HardenedHost) -> String {
    let config = host.cloud_config().unwrap();
    let file = config
        .files()
        .iter()
        .find(|f| f.path().contains("ufw") && f.text().is_some_and(|t| t.contains("ufw ")))
        .expect("the ufw script is written");
    file.text().unwrap().to_owned()
}

fn file(host: &HardenedHost, path: &str) -> String {
    let config = host.cloud_config().unwrap();
    let file = config
        .files()
        .iter()
        .find(|f| f.path() == path)
        .unwrap_or_else(|| panic!("{path} is not written"));
    file.text().unwrap().to_owned()
}

#[test]
fn no_admin_source_bastion_or_ca_is_refused_naming_admin_sources() {
    let err = HardenedHost::runbook(&without_sources()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("admin_sources"), "{shown}");
    assert!(
        shown.contains("bastion") && shown.contains("certificate authority"),
        "{shown}"
    );
}

#[test]
fn a_bastion_alone_is_the_only_ssh_source() {
    let host =
        HardenedHost::runbook(&without_sources().bastion([BASTION.parse().unwrap()])).unwrap();
    let nft = ufw(&host);
    assert!(nft.contains(BASTION.trim_end_matches("/32")), "{nft}");
    assert!(!nft.contains("203.0.113.0/24"), "{nft}");
    let ssh_lines: Vec<&str> = nft
        .lines()
        .filter(|l| l.contains(&fixtures::SSH_PORT.to_string()))
        .collect();
    assert!(!ssh_lines.is_empty(), "{nft}");
    for line in &ssh_lines {
        assert!(
            line.contains(" from ") && !line.contains("from any"),
            "SSH admitted from anywhere: {line}"
        );
    }
    // The fixture's own sources and the bastion together.
    let both =
        HardenedHost::runbook(&fixtures::inputs(FULL).bastion([BASTION.parse().unwrap()])).unwrap();
    let nft = ufw(&both);
    assert!(nft.contains("203.0.113.0/24") && nft.contains(BASTION.trim_end_matches("/32")));
}

#[test]
fn a_ca_means_certificate_only_login_that_sshd_accepts() {
    let ca = CaSigningKey::generate();
    let host = HardenedHost::runbook(
        &without_sources().ssh_ca(ca.public_key(), [Principal::new("fleet-admins").unwrap()]),
    )
    .unwrap();
    let fragment = file(&host, SSHD_FRAGMENT);
    assert!(
        fragment.contains("\nAuthorizedKeysFile none\n"),
        "{fragment}"
    );
    assert!(
        fragment.contains("\nTrustedUserCAKeys /etc/ssh/trusted_user_ca_keys.pub\n"),
        "{fragment}"
    );
    assert!(
        fragment.contains("\nAuthorizedPrincipalsFile /etc/ssh/auth_principals/%u\n"),
        "{fragment}"
    );
    assert_eq!(
        file(&host, "/etc/ssh/trusted_user_ca_keys.pub").trim_end(),
        ca.public_key().to_line()
    );
    assert_eq!(
        file(&host, "/etc/ssh/auth_principals/admin"),
        "fleet-admins\n"
    );
    if let Some(sshd) = hardening_validators::sshd() {
        let effective = sshd.effective(&fragment).unwrap();
        assert!(
            effective.lines().any(|l| l == "authorizedkeysfile none"),
            "{effective}"
        );
    }
}

#[test]
fn a_ca_without_principals_is_refused_naming_the_admin() {
    let ca = CaSigningKey::generate();
    let err = HardenedHost::runbook(&without_sources().ssh_ca(ca.public_key(), []))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sshd.cert_authority.principals.admin"),
        "{err}"
    );
}
