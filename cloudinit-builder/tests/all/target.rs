//! What differs per target distribution and what the package stage may install: the fixes
//! a real first boot showed (Debian's docker-cli, ssh.service and NTP pool, audit rules that
//! load, no Recommends, third-party packages apart from the security packages).

use cloudinit_builder::preset::*;
use cloudinit_builder::*;

use crate::fixtures::{self, FULL, extract_files, runcmd};
use crate::preset::position;

#[test]
fn packages_stage_installs_no_recommends_and_no_third_party_package() {
    let host = fixtures::host(FULL).set(Integrity::Aide);
    let cfg = host.cloud_config().unwrap();
    // Written by write_files (init stage), so cloud-init's package stage already obeys it:
    // aide's Recommends would pull in exim4, listening on port 25.
    let apt = cfg
        .files()
        .iter()
        .find(|f| f.path() == NO_RECOMMENDS_PATH)
        .unwrap();
    assert!(
        apt.text()
            .unwrap()
            .contains("APT::Install-Recommends \"false\";")
    );
    assert!(!apt.is_deferred());
    // Security packages and third-party packages never share one apt transaction.
    let packages = cfg.package_names();
    assert!(packages.iter().any(|p| p == "aide"));
    for third_party in ["alloy", "falco", "wazuh-agent", "docker.io"] {
        assert!(
            !packages.iter().any(|p| p == third_party),
            "{third_party} in packages"
        );
    }
    let cmds = runcmd(host.render().unwrap().as_str());
    assert!(
        cmds.iter()
            .any(|c| c.contains("--no-install-recommends alloy"))
    );
}

#[test]
fn audit_rules_load_after_their_directories_exist_and_auditd_is_started() {
    for target in Target::ALL {
        let host = HardenedHost::runbook(&fixtures::inputs(FULL).target(target))
            .unwrap()
            .budget(HETZNER_USER_DATA_LIMIT);
        let cmds = runcmd(host.render().unwrap().as_str());
        let audit = &cmds[position(&cmds, "auditctl -s")];
        // A watch on /etc/containerd/config.toml before Docker exists made the whole rule file
        // fail to load and left auditd down for the first boot.
        let mkdir = audit.find("install -d -m 0755 ").unwrap();
        assert!(audit[mkdir..].contains(" /etc/containerd"), "{audit}");
        let start = audit.find("systemctl restart auditd.service").unwrap();
        assert!(mkdir < start, "{audit}");
        match target.audit_rules_unit() {
            Some(unit) => assert!(audit.contains(&format!("systemctl restart {unit}"))),
            None => assert!(audit.find("augenrules --load").unwrap() < start),
        }
        assert!(audit.contains("systemctl enable auditd.service"));
        assert!(audit.contains("grep -q '\\''^enabled 2'\\''") || audit.contains("^enabled 2"));
    }
    let parents = hardening_model::presets::host::audit_rules().watched_parents();
    assert!(parents.contains(&"/etc/containerd".to_owned()));
}

#[test]
fn debian_gets_docker_cli_its_ssh_unit_and_its_ntp_pool() {
    let host = HardenedHost::runbook(&fixtures::inputs(FULL).target(Target::Debian13))
        .unwrap()
        .budget(HETZNER_USER_DATA_LIMIT);
    let out = host.render().unwrap();
    let cmds = runcmd(out.as_str());
    // docker.io alone leaves no docker command on Debian.
    let install = &cmds[position(&cmds, "docker.io")];
    assert!(
        install.contains("docker-cli") && install.contains("docker-compose"),
        "{install}"
    );
    let files = extract_files(out.as_str());
    assert!(
        files[SSHD_APPLY_SCRIPT]
            .text()
            .contains("systemctl restart ssh.service")
    );
    let chrony = files["/etc/chrony/chrony.conf"].text();
    assert!(
        chrony.contains("pool 2.debian.pool.ntp.org iburst"),
        "{chrony}"
    );
    assert!(!chrony.contains("leapsectz"));
    let ubuntu = extract_files(
        fixtures::host(FULL)
            .budget(HETZNER_USER_DATA_LIMIT)
            .render()
            .unwrap()
            .as_str(),
    );
    assert!(
        ubuntu["/etc/chrony/chrony.conf"]
            .text()
            .contains("pool ntp.ubuntu.com iburst")
    );
}
