//! First boot on a real guest: the rendered user-data booted by real systemd and real
//! cloud-init, checked from outside as an operator would.
//!
//! **A test binary of its own**, beside the crate's one binary of integration tests
//! (`tests/all`): it needs root and boots a guest for minutes, so it is built, run and skipped
//! as a unit (`cargo test -p cloudinit-builder --test first_boot`), and `--test all` stays a
//! loop of seconds that needs neither.
//!
//! **Container tier (this test, run in CI).** A Debian 13 root file system built with
//! `mmdebstrap` from Debian's mirror (cached under `$CARGO_TARGET_DIR/first-boot`, rebuilt when
//! the package list changes; every package the document installs is preinstalled, as a cloud
//! image does, because the guest has no mirror) is booted by `systemd-nspawn` with the
//! document in its NoCloud seed, in its own network namespace on a private veth link. The
//! guest never shares this machine's network: the document loads egress-filtering nftables and
//! ufw rules. Nothing third-party is downloaded: the document is the full runbook preset for
//! [`Target::Debian13`] without the parts that need Docker Hub, Falco's or Grafana's
//! repositories or a kernel of its own (below). It asserts:
//!
//! - `cloud-init status --format json`: `done`, no errors, no recoverable errors;
//! - no failed systemd unit;
//! - only the SSH port listening (outside loopback);
//! - key login works with the host key pinned from the callback's `known_hosts` entry
//!   (`StrictHostKeyChecking yes`); password, keyboard-interactive and root are refused;
//! - the nftables ruleset was loaded (by `bootcmd`) before cloud-init's package module ran;
//! - every secret file of the document is `0600` and owned by root on the guest;
//! - the project's own Appendix B audit on the guest's files passes every check the files can
//!   answer in a container;
//! - the ready callback reached a real HTTP listener here, verified (HMAC, window, nonce),
//!   reporting `ready`;
//! - the converge agent's files (its bootstrap in place of the agent) are installed with their
//!   modes, `hf-agent.timer` is enabled and active, and a run against the (unreachable) store
//!   succeeds with `state=unreachable` and installs no agent;
//! - the mounts as rendered, live ([`mounts::LIVE_MOUNTS`], `findmnt` on the guest): `/tmp` and
//!   `/var/tmp` `nosuid,nodev,noexec`, `/dev/shm` `nosuid,nodev,noexec`, `/proc`
//!   `hidepid=invisible` with `gid=` the exempt group. The container runtime mounts `/tmp`,
//!   `/dev/shm` and `/proc` itself (as Debian's own `tmp.mount` does on a VM), so this is the
//!   remount a first boot must do, not a fresh mount;
//! - after a reboot of the same root: `cloud-init status` still `done`, the mounts still
//!   hardened (`/tmp`: its unit enabled; the live check after a reboot is the VM tier's:
//!   systemd-nspawn mounts `/tmp` before the guest's systemd starts).
//!
//! A second test (`reboot.rs`) boots the same document with one more step that fails, and
//! asserts the callback says `failed` naming that step, `cloud-init status` says `error`, and
//! still says `error` after a reboot.
//!
//! It prints `first-boot: status=done errors=0 failed_units=0 ssh_s=N done_s=N audit=P/T tier=container`.
//!
//! **Checks only a VM can make** (a container shares the host's kernel): `auditd running with
//! its rules` (no audit subsystem per container: auditd and audit-rules are masked in the
//! container image and the auditd part ships its rules file only), `/tmp` live after a reboot,
//! `kernel modules` (blacklist effective),
//! `sysctls` (the kernel's values; `/proc/sys` is read-only in a container, so the sysctl part
//! ships its files only), and `os.apparmor`/Docker's checks (Docker needs its own kernel
//! features). Their audit checks are [`VM_ONLY_CHECKS`]; the checks of the parts left out
//! (backups of a Docker volume, node_exporter, Falco) are [`LEFT_OUT_CHECKS`].
//!
//! **VM tier (not in CI: about 15 minutes under TCG).** `tests/first_boot_vm` boots the same
//! document, with its full sysctl and auditd parts, in QEMU and adds the checks listed above:
//! `FIRST_BOOT_VM=1 cargo test -p cloudinit-builder --test first_boot_vm -- --nocapture`.
//! The checks both tiers make live in `tests/first_boot_shared`.
//!
//! Needs root, `mmdebstrap`, `systemd-nspawn`, `ip`, `nsenter`, `script` and `ssh`
//! (`.ci/install-validators`); prints `skipping: ...` without them, and fails when `CI` is set.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[path = "../first_boot_shared/mod.rs"]
mod shared;

mod converge;
mod mounts;
mod reboot;

use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cloudinit_builder::Secret;
use cloudinit_builder::callback::Verifier;
use hardening_validators::guest::{Container, PrivateLink, debian13_rootfs};
use shared::{CALLBACK_SECRET, LEFT_OUT_CHECKS, SSH_PORT, Shell, Tier, VM_ONLY_CHECKS, document};

impl Shell for Container {
    fn text(&self, argv: &[&str]) -> String {
        shared::output_text(argv, self.exec(argv))
    }
}

/// One guest at a time: each boots a whole system on a small machine.
static ONE_GUEST: Mutex<()> = Mutex::new(());

/// A command's output on the guest (see [`Shell::text`]).
fn guest_text(guest: &Container, argv: &[&str]) -> String {
    guest.text(argv)
}

/// `cloud-init status --format json` once cloud-init finished this boot (`--wait`), and when.
fn finished_status(guest: &Container, timeout: Duration) -> Option<(serde_json::Value, Duration)> {
    guest.wait_for(timeout, |g| {
        let out = g
            .exec(&[
                "timeout",
                "30",
                "cloud-init",
                "status",
                "--wait",
                "--format",
                "json",
            ])
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        matches!(v["status"].as_str(), Some("done" | "error" | "disabled")).then_some(v)
    })
}

#[test]
fn first_boot_in_a_container() {
    if shared::ssh_missing() {
        return;
    }
    let _one = ONE_GUEST.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (key, admin_key) = shared::admin_key(dir.path());
    let packages = shared::document_packages(&admin_key, Tier::Container);
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();

    let build = Instant::now();
    let Some(image) = debian13_rootfs(&package_refs) else {
        return;
    };
    let image_s = build.elapsed().as_secs();

    let link = PrivateLink::new().expect("private link");
    let listener = shared::listener::Listener::start(
        link.host_ip(),
        Verifier::new(Secret::new(CALLBACK_SECRET).unwrap()),
    );
    let base = format!("http://{}:{}", link.host_ip(), listener.port);
    let host = document(
        &admin_key,
        &format!("{base}/ready"),
        &format!("{base}/health"),
        Tier::Container,
    );
    let cfg = host.cloud_config().unwrap();
    let user_data = host.render().unwrap();
    assert!(user_data.len() <= host.budget_bytes());

    let guest = Container::boot(
        &image,
        &link,
        user_data.as_str().as_bytes(),
        b"instance-id: i-first-boot\nlocal-hostname: first-boot\n",
    )
    .expect("boot the guest");
    let guest_ip = link.guest_ip().to_string();
    let ssh_addr = SocketAddr::from((link.guest_ip(), SSH_PORT));
    let mut problems: Vec<String> = Vec::new();

    let ssh_s = guest
        .wait_for(Duration::from_secs(600), |_| {
            TcpStream::connect_timeout(&ssh_addr, Duration::from_secs(1)).ok()
        })
        .map(|(_, t)| t.as_secs());
    let status = finished_status(&guest, Duration::from_secs(900));
    let Some((status, done)) = status else {
        panic!(
            "cloud-init did not finish in 15 minutes\n{}\n{}",
            guest.text(&["cloud-init", "status", "--long"]),
            guest.console_text()
        );
    };
    let done_s = done.as_secs();
    let (ci_status, errors) = shared::cloud_init_outcome(&status);
    if ci_status != "done" || !errors.is_empty() {
        problems.push(format!("cloud-init status={ci_status} errors={errors:?}"));
    }

    // The converge agent: installed, timer enabled, a run with the store away leaves no
    // failed unit.
    problems.extend(converge::problems(&guest));

    let failed_units = shared::failed_units(&guest);
    if !failed_units.is_empty() {
        problems.push(format!("failed units: {failed_units:?}"));
    }
    shared::only_ssh_listening(&guest, &mut problems);

    // The ready callback, verified by the listener with the library's verifier.
    let report = shared::ready_report(&listener, Duration::from_secs(120), &mut problems);
    let known_hosts = dir.path().join("known_hosts");
    if let Some(report) = &report {
        std::fs::write(
            &known_hosts,
            report.known_hosts(&guest_ip, SSH_PORT).join("\n") + "\n",
        )
        .unwrap();
        shared::host_keys_match(report, guest.root(), &mut problems);
    }

    // SSH: key login with the host key pinned from the callback; everything else refused.
    shared::ssh_logins(&key, &known_hosts, &guest_ip, SSH_PORT, &mut problems);

    let log =
        std::fs::read_to_string(guest.root().join("var/log/cloud-init.log")).unwrap_or_default();
    shared::firewall_first(&guest, &log, &mut problems);
    let secrets = shared::secret_files(&cfg, guest.root(), &mut problems);
    assert!(secrets > 0, "the document has secret files to check");

    // The project's Appendix B audit on the guest's files and its live mount table.
    let excused: Vec<(&str, &str)> = VM_ONLY_CHECKS
        .iter()
        .chain(LEFT_OUT_CHECKS)
        .copied()
        .collect();
    let mounts_table = guest.text(&["cat", "/proc/self/mounts"]);
    let audit = shared::appendix_b(guest.root(), &mounts_table, &excused, &mut problems);

    // The mounts as rendered, live at first boot (not only after a reboot).
    problems.extend(mounts::mount_problems(&guest, &[]));

    // A reboot of the same root: still done, still hardened.
    let mut guest = guest;
    guest.reboot().expect("reboot the guest");
    match finished_status(&guest, Duration::from_secs(600)) {
        Some((after, _)) if after["status"] == "done" => {}
        other => problems.push(format!("after a reboot cloud-init says {other:?}")),
    }
    // /tmp is mounted by the container runtime before the guest's systemd starts: here the
    // unit must be enabled, and /var/tmp (mounted by its unit at boot) shows the units work.
    // The live /tmp after a reboot is checked on the VM tier.
    for p in mounts::mount_problems(&guest, &["/tmp"]) {
        problems.push(format!("after a reboot: {p}"));
    }
    let enabled = guest.text(&["systemctl", "is-enabled", "tmp.mount"]);
    if enabled.trim() != "enabled" {
        problems.push(format!("after a reboot tmp.mount is {enabled:?}"));
    }

    println!(
        "{}",
        shared::summary(
            Tier::Container,
            &ci_status,
            errors.len(),
            failed_units.len(),
            ssh_s,
            done_s,
            audit
        )
    );
    println!("first-boot: image_s={image_s} (0: cached) boot_to_done_s={done_s}");
    shared::assert_no_problems(&problems, &guest, &log);
}
