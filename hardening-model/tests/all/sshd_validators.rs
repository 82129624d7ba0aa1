//! The rendered sshd baseline checked by the real OpenSSH server and by ssh-audit.
#![allow(clippy::unwrap_used)] // shared test functions unwrap, like the tests themselves

use std::path::PathBuf;

use hardening_model::presets::host;
use hardening_model::sshd::{CaPublicKey, CertAuthority, Principal, SshdPolicy};
use hardening_model::values::{Port, UnixUser};

const CA_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAIM7FEzqxm1cR/Y3nAPSzu0406Vns0qxAyrWw7irUDP fleet-ca";

fn baseline(port: u16) -> SshdPolicy {
    host::sshd(
        Port::new(port).unwrap(),
        &[
            UnixUser::new("deploy").unwrap(),
            UnixUser::new("ops").unwrap(),
        ],
    )
    .unwrap()
}

fn with_ca(policy: SshdPolicy) -> SshdPolicy {
    let ca = CertAuthority::new(CaPublicKey::parse(CA_KEY).unwrap()).allow(
        UnixUser::new("ops").unwrap(),
        [Principal::new("fleet-admins").unwrap()],
    );
    policy.cert_authority(ca)
}

fn policy_file() -> PathBuf {
    hardening_validators::project_ssh_audit_policy()
}

/// Reads one keyword from `sshd -T` output (lower-case keyword, rest of line).
fn effective<'a>(dump: &'a str, keyword: &str) -> Vec<&'a str> {
    dump.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(k, _)| *k == keyword)
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn sshd_accepts_the_baseline_fragment() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    for policy in [baseline(22222), with_ca(baseline(40022))] {
        let text = policy.render().unwrap().content;
        if let Err(e) = sshd.check(&text) {
            panic!("sshd -t rejected the fragment: {e}\n{text}");
        }
    }
}

#[test]
fn sshd_reads_back_every_baseline_value() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    let policy = with_ca(baseline(31337));
    let dump = sshd.effective(&policy.render().unwrap().content).unwrap();
    let one = |k: &str| {
        let v = effective(&dump, k);
        assert_eq!(v.len(), 1, "{k}: {v:?}");
        v[0].to_owned()
    };
    assert_eq!(one("port"), "31337");
    assert_eq!(one("permitrootlogin"), "no");
    assert_eq!(one("passwordauthentication"), "no");
    assert_eq!(one("kbdinteractiveauthentication"), "no");
    assert_eq!(one("loglevel"), "VERBOSE");
    assert_eq!(one("maxauthtries"), "2");
    assert_eq!(one("maxstartups"), "10:30:60");
    assert_eq!(one("allowtcpforwarding"), "local");
    assert_eq!(one("x11forwarding"), "no");
    assert_eq!(one("allowagentforwarding"), "no");
    assert_eq!(effective(&dump, "allowusers"), ["deploy", "ops"]);
    assert_eq!(
        one("trustedusercakeys"),
        "/etc/ssh/trusted_user_ca_keys.pub"
    );
    assert_eq!(
        one("authorizedprincipalsfile"),
        "/etc/ssh/auth_principals/%u"
    );
    let crypto = policy.crypto_lists();
    assert_eq!(one("kexalgorithms"), crypto.kex_line());
    assert_eq!(one("ciphers"), crypto.ciphers_line());
    assert_eq!(one("macs"), crypto.macs_line());
    assert_eq!(one("hostkeyalgorithms"), "ssh-ed25519");
    assert_eq!(
        one("pubkeyacceptedalgorithms"),
        crypto.pubkey_algorithms_line()
    );
    assert!(one("pubkeyacceptedalgorithms").contains("sk-ssh-ed25519@openssh.com"));
}

#[test]
fn ssh_audit_passes_the_project_policy() {
    let Some(audit) = hardening_validators::ssh_audit() else {
        return;
    };
    for policy in [baseline(22222), with_ca(baseline(22222))] {
        let text = policy.render().unwrap().content;
        match audit.audit(&text, &policy_file()) {
            Ok(report) => assert!(!report.contains("[fail]"), "{report}"),
            Err(e) => panic!("ssh-audit failed the baseline: {e}"),
        }
    }
}

#[test]
fn ssh_audit_fails_a_weakened_config() {
    // Proves the audit can fail: a CBC cipher is outside the policy.
    let Some(audit) = hardening_validators::ssh_audit() else {
        return;
    };
    let text = baseline(22222)
        .render()
        .unwrap()
        .content
        .replace("\nCiphers ", "\nCiphers aes256-cbc,");
    let rejection = audit.audit(&text, &policy_file()).unwrap_err();
    assert!(rejection.stdout.contains("aes256-cbc"), "{rejection}");
}

#[test]
fn fragment_values_win_over_the_main_file_and_later_dropins() {
    // What Ubuntu's sshd_config does: include the drop-ins first, then its own settings; a
    // later drop-in (cloud-init's 50-cloud-init.conf) may enable passwords.
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    let fragment = baseline(22222).render().unwrap().content;
    let combined = format!(
        "{fragment}\n# 50-cloud-init.conf\nPasswordAuthentication yes\n\
         # main file\nKbdInteractiveAuthentication yes\nX11Forwarding yes\nPermitRootLogin yes\n\
         UsePAM yes\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
    );
    let dump = sshd.effective(&combined).unwrap();
    for (k, v) in [
        ("passwordauthentication", "no"),
        ("kbdinteractiveauthentication", "no"),
        ("x11forwarding", "no"),
        ("permitrootlogin", "no"),
        ("port", "22222"),
    ] {
        assert_eq!(effective(&dump, k), [v], "{k}");
    }
}

#[test]
fn the_host_baseline_bundle_writes_a_fragment_sshd_accepts() {
    use hardening_model::presets::host::HostBaseline;
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    let host = HostBaseline::new(
        Port::new(50022).unwrap(),
        &[UnixUser::new("deploy").unwrap()],
    )
    .unwrap();
    let files = host.files().unwrap();
    let fragment = files
        .iter()
        .find(|f| f.path.starts_with("/etc/ssh/sshd_config.d/"))
        .unwrap();
    sshd.check(&fragment.content).unwrap();
    let dump = sshd.effective(&fragment.content).unwrap();
    assert_eq!(effective(&dump, "port"), ["50022"]);
    assert_eq!(effective(&dump, "banner"), ["/etc/issue.net"]);
}
