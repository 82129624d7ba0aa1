//! The day-2 converge agent in the full preset: its bootstrap, files and modes, its secrets only in
//! `0600` files, its recorded step, and a refused signer key.

use cloudinit_builder::preset::*;
use hardening_model::converge::{
    AGENT_PATH, ALLOWED_SIGNERS_PATH, BOOTSTRAP_PATH, BOOTSTRAP_SCRIPT, CONF_PATH, LABELS_PATH,
    REPORT_KEY_PATH, STORE_ENV_PATH,
};

use crate::fixtures::{
    CALLBACK_SECRET, CONVERGE_S3_SECRET, CONVERGE_SIGNER, FULL, converge_inputs, extract_files,
    inputs,
};

#[test]
fn the_agent_is_installed_with_its_modes_and_its_timer_enabled_as_a_step() {
    let out = crate::fixtures::host(FULL).render().unwrap();
    let files = extract_files(out.as_str());
    for (path, mode) in [
        (BOOTSTRAP_PATH, "0755"),
        (CONF_PATH, "0600"),
        (ALLOWED_SIGNERS_PATH, "0644"),
        (LABELS_PATH, "0644"),
        (REPORT_KEY_PATH, "0600"),
        (STORE_ENV_PATH, "0600"),
        ("/etc/systemd/system/hf-agent.service", "0644"),
        ("/etc/systemd/system/hf-agent.timer", "0644"),
    ] {
        let f = files.get(path).unwrap_or_else(|| panic!("{path} missing"));
        assert_eq!(
            (f.permissions.as_str(), f.owner.as_str()),
            (mode, "root:root"),
            "{path}"
        );
    }
    // The report key is the callback secret; the store keys are the converge keys.
    assert_eq!(files[REPORT_KEY_PATH].text(), CALLBACK_SECRET);
    assert!(files[STORE_ENV_PATH].text().contains(CONVERGE_S3_SECRET));
    assert!(files[ALLOWED_SIGNERS_PATH].text().contains(CONVERGE_SIGNER));
    let conf = files[CONF_PATH].text();
    assert!(
        conf.contains("REMOTE=:s3:fleet-desired/app-hosts\n"),
        "{conf}"
    );
    assert!(
        conf.contains("REPORT_REMOTE=:s3:fleet-desired/app-hosts/reports\n"),
        "{conf}"
    );
    for arg in BOUNDED_RCLONE {
        assert!(conf.contains(arg), "{arg} missing: {conf}");
    }
    // The first-boot document carries the bootstrap, not the agent (fetched, signed, from the
    // store), and the service runs the bootstrap.
    assert!(
        !files.contains_key(AGENT_PATH),
        "the agent itself is shipped"
    );
    assert!(
        files["/etc/systemd/system/hf-agent.service"]
            .text()
            .contains(&format!("ExecStart={BOOTSTRAP_PATH}\n"))
    );
    // The script is the bootstrap, without its comment lines and (outside strings) indentation.
    let script = files[BOOTSTRAP_PATH].text();
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(
        !script
            .lines()
            .skip(1)
            .any(|l| l.trim_start().starts_with('#'))
    );
    let code = |s: &str| -> Vec<String> {
        s.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| l.trim_start().to_owned())
            .collect()
    };
    assert_eq!(code(script), code(BOOTSTRAP_SCRIPT));
    // Enabled by a recorded step, after the backups and before the baseline and the callback.
    let cfg = HardenedHost::runbook(&inputs(FULL))
        .unwrap()
        .cloud_config()
        .unwrap();
    let runcmd: Vec<String> = cfg
        .commands()
        .iter()
        .map(|c| c.to_shell().into_owned())
        .collect();
    let step = runcmd
        .iter()
        .position(|c| c.starts_with(&format!("{STEP_RUNNER} converge ")))
        .expect("a converge step");
    assert!(runcmd[step].contains("systemctl enable --now hf-agent.timer"));
    let backups = runcmd.iter().position(|c| c.contains(" backups ")).unwrap();
    assert!(backups < step && step < runcmd.len() - 1, "{runcmd:#?}");
}

#[test]
fn a_missing_or_invalid_signer_key_is_refused_naming_the_field() {
    for key in [
        "",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
        "ssh-ed25519 AAAA!!",
    ] {
        let mut c = converge_inputs();
        c.signer_key = key.into();
        let err = HardenedHost::runbook(&inputs(FULL).converge(c)).unwrap_err();
        assert_eq!(err.field(), Some("converge.signer_key"), "{key:?}: {err}");
    }
    let mut c = converge_inputs();
    c.instance = "two words".into();
    let err = HardenedHost::runbook(&inputs(FULL).converge(c)).unwrap_err();
    assert_eq!(err.field(), Some("converge.instance"), "{err}");
}

#[test]
fn the_agent_secrets_stay_out_of_debug_output() {
    let inputs = inputs(FULL);
    let debug = format!("{inputs:?}");
    assert!(!debug.contains(CONVERGE_S3_SECRET));
    let host = HardenedHost::runbook(&inputs).unwrap();
    assert!(!format!("{host:?}").contains(CONVERGE_S3_SECRET));
}
