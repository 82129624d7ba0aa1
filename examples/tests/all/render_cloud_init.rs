//! `render-cloud-init` runs with its defaults (no key files, no environment) and writes the
//! user-data, which holds secrets, with mode 0600 — also over an existing world-readable file.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::Command;

/// The example binary `cargo test` builds next to the test binaries.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|d| d.parent()).unwrap();
    debug.join("examples").join(name)
}

#[test]
fn render_cloud_init_runs_with_its_defaults_and_writes_0600() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("user-data.yaml");
    std::fs::write(&out, "stale").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = Command::new(example("render-cloud-init"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "user-data holds secrets");
    let bytes: usize = stdout
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("bytes="))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no bytes= line: {stdout}"));
    assert_eq!(bytes, std::fs::metadata(&out).unwrap().len() as usize);
    assert!(bytes <= cloudinit_builder::preset::PRESET_BUDGET);
    // No placeholder secret is printed.
    assert!(!stdout.contains("placeholder-") && !stderr.contains("placeholder-"));
}

#[test]
fn render_cloud_init_reports_a_bad_value_as_a_display_chain() {
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(example("render-cloud-init"))
        .current_dir(dir.path())
        .args(["--target", "windows"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("error: invalid target: must be ubuntu-24.04 or debian-13"),
        "{stderr}"
    );
    assert!(!stderr.contains("Invalid {"), "Debug output: {stderr}");
    assert!(
        !dir.path().join("user-data.yaml").exists(),
        "nothing is written"
    );
}

#[test]
fn render_cloud_init_adds_the_converge_agent_and_refuses_a_bad_signer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("user-data.yaml");
    let cfg = dir.path().join("cloud-config.yaml");
    let signer = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP";
    let run = Command::new(example("render-cloud-init"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--out")
        .arg(&out)
        .arg("--cloud-config-out")
        .arg(&cfg)
        .args(["--converge-signer", signer])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    // the agent's bootstrap (the agent itself is fetched, signed, from the store)
    assert!(
        text.contains("path: /usr/local/sbin/hf-bootstrap\n"),
        "no agent bootstrap"
    );
    assert!(!text.contains("path: /usr/local/sbin/hf-agent\n"));
    assert!(text.contains("systemctl enable --now hf-agent.timer"));
    assert!(text.contains(signer));

    let bad = Command::new(example("render-cloud-init"))
        .current_dir(dir.path())
        .arg("--out")
        .arg(dir.path().join("bad.yaml"))
        .args(["--converge-signer", "ssh-rsa AAAAB3NzaC1yc2E"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("converge.signer_key"), "{stderr}");
    assert!(!stderr.contains("Invalid {"), "Debug output: {stderr}");
    assert!(!dir.path().join("bad.yaml").exists(), "nothing is written");
}
