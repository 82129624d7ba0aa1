//! What the preset applies when: live mount options, and third-party apt sources kept apart
//! from the distribution's security packages until their own step.

use std::path::Path;
use std::process::Command;

use cloudinit_builder::preset::*;
use hardening_model::mounts::ApiMount;

use crate::fixtures::{self, FULL, extract_files, runcmd};
use crate::preset::position;
use crate::support;

#[test]
fn mounts_are_applied_live_in_their_stage() {
    let out = fixtures::host(FULL).render().unwrap();
    let cmds = runcmd(out.as_str());
    let shm = position(&cmds, &ApiMount::dev_shm().fstab_line());
    let proc = position(&cmds, &ApiMount::proc_hidepid().fstab_line());
    let logind = position(&cmds, "systemctl try-restart systemd-logind.service");
    // /dev/shm and /proc in the kernel stage, remounted now (not at the next boot), logind
    // given the hidepid group first.
    assert!(
        cmds[shm].contains("&& mount -o remount /dev/shm"),
        "{}",
        cmds[shm]
    );
    assert!(
        cmds[proc].contains("&& mount -o remount /proc"),
        "{}",
        cmds[proc]
    );
    assert!(logind < proc && proc < position(&cmds, SSHD_APPLY_SCRIPT));
    // /tmp: an already mounted tmpfs is remounted with the unit's options now, after the
    // last package installation.
    let tmp = position(&cmds, "systemctl reload-or-restart tmp.mount var-tmp.mount");
    let last_install = cmds
        .iter()
        .rposition(|c| c.contains("apt-get install"))
        .unwrap();
    assert!(tmp > last_install);
    assert!(!cmds.iter().any(|c| c.contains("enable --now tmp.mount")));
    let files = extract_files(out.as_str());
    assert_eq!(
        files["/etc/systemd/system/systemd-logind.service.d/hidepid.conf"].text(),
        "[Service]\nSupplementaryGroups=proc\n"
    );
}

#[test]
fn third_party_sources_wait_for_their_own_step() {
    let out = fixtures::host(FULL).render().unwrap();
    let doc = support::parse(out.as_str());
    let sources = doc["apt"]["sources"].as_object().unwrap();
    assert!(sources.len() >= 3, "{sources:?}"); // Grafana (Alloy), Wazuh, Falco
    for (name, s) in sources {
        // Outside sources.list.d: cloud-init's own apt-get update and package stage never
        // see it.
        assert_eq!(
            s["filename"].as_str(),
            Some(format!("{THIRD_PARTY_SOURCES_DIR}/{name}.list").as_str())
        );
    }
    // The security packages come from cloud-init's package stage; no third-party package
    // is in that list.
    let packages: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for p in ["auditd", "ufw", "nftables", "chrony", "unattended-upgrades"] {
        assert!(packages.contains(&p), "{p} missing from {packages:?}");
    }
    for p in ["falco", "alloy", "wazuh-agent"] {
        assert!(!packages.contains(&p), "{p} in {packages:?}");
    }
    // The sources are put in place in a step of their own, recorded by name, after Docker and
    // the stack (distribution packages) and before every third-party installation.
    let raw: Vec<&str> = doc["runcmd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let step = raw
        .iter()
        .position(|c| c.starts_with(&format!("{STEP_RUNNER} {THIRD_PARTY_SOURCES_STEP} ")))
        .unwrap();
    let cmds = runcmd(out.as_str());
    assert!(step > position(&cmds, "docker.io"));
    for needle in ["falco", "alloy", "wazuh-agent"] {
        let install = cmds
            .iter()
            .position(|c| c.contains("apt-get install") && c.contains(needle))
            .unwrap();
        assert!(step < install, "{needle}");
    }
    // Without third-party parts there is no such step.
    let plain = fixtures::host(FULL)
        .without(&Slot::Falco)
        .without(&Slot::Integrity)
        .without(&Slot::LogShipping)
        .render()
        .unwrap();
    assert!(
        !plain
            .as_str()
            .contains(&format!(" {THIRD_PARTY_SOURCES_STEP} "))
    );
    assert!(support::parse(plain.as_str()).get("apt").is_none());
}

#[test]
fn an_operator_source_joins_the_third_party_step_and_installs_after_it() {
    let source = cloudinit_builder::AptSource::signed(
        "platform",
        "https://apt.example.com/ubuntu",
        "noble",
        ["main"],
        support::FALCO_KEY,
    )
    .unwrap();
    let err = ThirdPartySource::new(source.clone(), ["Bad Name"]).unwrap_err();
    assert!(err.to_string().contains("apt.packages[0]"), "{err}");
    let err = ThirdPartySource::new(source.clone(), Vec::<String>::new()).unwrap_err();
    assert!(err.to_string().contains("apt.packages"), "{err}");
    assert!(ThirdPartySource::new(source, ["platform-tools"]).is_ok());
    // The realistic inputs add one (`RunbookInputs::third_party`).
    let out = crate::realistic::realistic_host().render().unwrap();
    let doc = support::parse(out.as_str());
    assert_eq!(
        doc["apt"]["sources"]["platform"]["filename"].as_str(),
        Some(format!("{THIRD_PARTY_SOURCES_DIR}/platform.list").as_str())
    );
    let packages = doc["packages"].as_array().unwrap();
    assert!(!packages.iter().any(|p| p == "platform-node-tools"));
    let raw: Vec<&str> = doc["runcmd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let step = raw
        .iter()
        .position(|c| c.starts_with(&format!("{STEP_RUNNER} {THIRD_PARTY_SOURCES_STEP} ")))
        .unwrap();
    let install = raw
        .iter()
        .position(|c| c.contains("apt-get install") && c.contains("platform-node-tools"))
        .unwrap();
    assert!(step < install);
    assert!(
        raw[install].starts_with(&format!("{STEP_RUNNER} custom.apt.platform ")),
        "{}",
        raw[install]
    );
}

/// The rendered step run by the rendered step runner against apt itself, with a third-party
/// repository that refuses connections: the step fails and is recorded as failed by name.
/// (`apt-get update` alone only warns about an unreachable repository and exits 0.)
#[test]
fn a_broken_third_party_repository_fails_its_step_by_name() {
    let Some(apt) = hardening_validators::require_tool("apt-get", "apt-get install apt") else {
        return;
    };
    let out = fixtures::host(FULL).render().unwrap();
    let doc = support::parse(out.as_str());
    let line = doc["runcmd"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .find(|c| c.contains(&format!(" {THIRD_PARTY_SOURCES_STEP} ")))
        .unwrap()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let at = |p: &str| d.join(p).display().to_string();
    for sub in [
        "third-party",
        "sources.list.d",
        "state/lists/partial",
        "cache/archives/partial",
        "steps",
    ] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    let runner = extract_files(out.as_str())[STEP_RUNNER]
        .text()
        .replace(STEPS_DIR, &at("steps"));
    std::fs::write(d.join("hardened-step"), runner).unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        d.join("third-party/broken.list"),
        format!("deb [trusted=yes] http://127.0.0.1:{port}/debian stable main\n"),
    )
    .unwrap();
    let apt_here = format!(
        "{} -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts={} -o Dir::State={} \
         -o Dir::Cache={} -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
         -o Acquire::Retries=0",
        apt.display(),
        at("sources.list.d"),
        at("state"),
        at("cache")
    );
    let local = line
        .replace(STEP_RUNNER, &format!("sh {}", at("hardened-step")))
        .replace(THIRD_PARTY_SOURCES_DIR, &at("third-party"))
        .replace("/etc/apt/sources.list.d/", &at("sources.list.d"))
        .replace("apt-get", &apt_here);
    let run = |script: &str| {
        Command::new("sh")
            .args(["-c", script])
            .output()
            .expect("run sh")
    };
    let failed = run(&local);
    assert!(
        !failed.status.success(),
        "the step passed: {}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(Path::new(&at("sources.list.d/broken.list")).is_file());
    assert_eq!(
        std::fs::read_to_string(d.join("steps").join(THIRD_PARTY_SOURCES_STEP))
            .unwrap()
            .trim(),
        "failed"
    );
    // Why --error-on=any: without it apt reports the unreachable repository as a warning
    // and the step would pass.
    let lenient = run(&local.replace(" --error-on=any", ""));
    assert!(
        lenient.status.success(),
        "{}",
        String::from_utf8_lossy(&lenient.stderr)
    );
}
