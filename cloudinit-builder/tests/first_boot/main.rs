//! First boot on a real guest: the rendered user-data booted by real systemd and real
//! cloud-init, checked from outside as an operator would.
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
//! - the converge agent's files are installed with their modes, `hf-agent.timer` is enabled
//!   and active, and a run against the (unreachable) store succeeds with `state=unreachable`;
//! - the project's own Appendix B audit on the guest's files passes every check the files can
//!   answer in a container;
//! - the ready callback reached a real HTTP listener here, verified (HMAC, window, nonce),
//!   reporting `ready`;
//! - the mounts as rendered, live ([`mounts::LIVE_MOUNTS`], `findmnt` on the guest): `/tmp` and
//!   `/var/tmp` `nosuid,nodev,noexec`, `/dev/shm` `nosuid,nodev,noexec`, `/proc`
//!   `hidepid=invisible` with `gid=` the exempt group. The container runtime mounts `/tmp`,
//!   `/dev/shm` and `/proc` itself (as Debian's own `tmp.mount` does on a VM), so this is the
//!   remount a first boot must do, not a fresh mount;
//! - after a reboot of the same root: `cloud-init status` still `done`, the mounts still
//!   hardened (`/tmp`: its unit enabled; the live check is VM-only, see [`VM_ONLY_CHECKS`]).
//!
//! It prints `first-boot: status=done errors=0 failed_units=0 ssh_s=N done_s=N audit=P/T`.
//!
//! A second test boots the same document with one more step that fails, and asserts the
//! callback says `failed` naming that step, `cloud-init status` says `error`, and still says
//! `error` after a reboot.
//!
//! **Checks only a VM can make** (a container shares the host's kernel): `auditd running with
//! its rules` (no audit subsystem per container: auditd and audit-rules are masked in the
//! container image and the auditd part ships its rules file only), `kernel modules` (blacklist effective),
//! `sysctls` (the kernel's values; `/proc/sys` is read-only in a container, so the sysctl part
//! ships its files only), and `os.apparmor`/Docker's checks (Docker needs its own kernel
//! features). Their audit checks are [`VM_ONLY_CHECKS`]; the checks of the parts left out
//! (backups of a Docker volume, node_exporter, Falco) are [`LEFT_OUT_CHECKS`].
//!
//! **VM tier (not in CI: about 25 minutes under TCG).** Boot the same document in QEMU as
//! `research/validators.md` ("Booting a guest here") describes: `cargo run --example
//! render-cloud-init -- --target debian-13 --out user-data.yaml`, put it with a `meta-data` on
//! a vfat image labelled `CIDATA`, and boot a Debian 13 image built by `mmdebstrap` with
//! `-accel tcg,thread=multi -cpu max -smp 2 -m 3072`.
//!
//! (Over 600 lines: the container test reads best as one script of checks in boot order; its
//! helpers live in `listener.rs`, `mounts.rs` and `reboot.rs`.)
//!
//! Needs root, `mmdebstrap`, `systemd-nspawn`, `ip`, `nsenter`, `script` and `ssh`
//! (`.ci/install-validators`); prints `skipping: ...` without them, and fails when `CI` is set.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod converge;
mod listener;
mod mounts;
mod reboot;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cloudinit_builder::age::AgeRecipient;
use cloudinit_builder::callback::{ReadyStatus, Verifier};
use cloudinit_builder::preset::{
    BackupTarget, HardenedHost, ObjectStore, ReadyCallback, RenderedPart, RunbookInputs,
    RunbookRequired, S3Credentials, Slot, Target,
};
use cloudinit_builder::{Secret, SshPublicKey, User};
use hardening_model::audit::{DirHost, Status, audit};
use hardening_model::docker::ImageRef;
use hardening_model::presets::firewall::cloudflare_fallback_ranges;
use hardening_model::presets::host;
use hardening_model::presets::stack::StackImages;
use hardening_model::values::{Domain, Port};
use hardening_validators::guest::{Container, PrivateLink, debian13_rootfs};

const SSH_PORT: u16 = 42022;
const CALLBACK_SECRET: &str = "first-boot-callback-secret-7d1e";

/// One guest at a time: each boots a whole system on a small machine.
static ONE_GUEST: Mutex<()> = Mutex::new(());

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

/// Appendix B checks a container cannot answer (see the module docs), with the reason, and
/// `mounts.tmp-after-reboot`, a live-mount check of this test a container cannot make.
pub const VM_ONLY_CHECKS: &[(&str, &str)] = &[
    (
        "os.auditd",
        "no audit subsystem in a container: auditd runs on the VM tier only",
    ),
    (
        "os.apparmor",
        "AppArmor profiles are loaded into the host's kernel",
    ),
    (
        "docker.daemon",
        "Docker is left out: it needs a kernel of its own",
    ),
    (
        "docker.icc",
        "Docker is left out: it needs a kernel of its own",
    ),
    (
        "docker.socket",
        "the Compose stack needs Docker and registry images",
    ),
    (
        "docker.limits",
        "the Compose stack needs Docker and registry images",
    ),
    (
        "firewall.docker-user",
        "DOCKER-USER is applied when Docker starts",
    ),
    (
        "mounts.tmp-after-reboot",
        "systemd-nspawn mounts /tmp (without noexec) before the guest's systemd starts, so \
         tmp.mount finds it mounted at the second boot; on a VM nothing mounts /tmp first and \
         the unit mounts it with its options (the container checks the unit is enabled, and \
         /var/tmp, mounted by its unit at boot)",
    ),
];

/// Appendix B checks of parts this tier leaves out because they download from third parties
/// (images, Falco's repository) or run in Docker, with the reason.
pub const LEFT_OUT_CHECKS: &[(&str, &str)] = &[
    ("backup.daily", "the backup part backs up a Docker volume"),
    (
        "backup.encrypted",
        "the backup part backs up a Docker volume",
    ),
    (
        "backup.verified",
        "the backup part backs up a Docker volume",
    ),
    (
        "monitoring.node-exporter",
        "node_exporter runs from a registry image",
    ),
    ("monitoring.ids", "Falco comes from Falco's repository"),
    (
        "monitoring.alerts",
        "the alert rules ship with the node_exporter part",
    ),
];

fn image(name: &str, fill: char) -> ImageRef {
    ImageRef::parse(&format!("{name}@sha256:{}", fill.to_string().repeat(64))).unwrap()
}

/// The document booted here: the runbook preset for Debian 13 without the parts that need
/// Docker, third-party repositories or a kernel of its own.
fn document(admin_key: &str, callback: &str, health: &str) -> HardenedHost {
    let admin = User::new("admin")
        .unwrap()
        .groups(["sudo"])
        .unwrap()
        .shell("/bin/bash")
        .unwrap()
        .sudo("ALL=(ALL) NOPASSWD:ALL")
        .unwrap()
        .ssh_key(SshPublicKey::new(admin_key).unwrap());
    let inputs = RunbookInputs::new(RunbookRequired {
        admin,
        ssh_port: Port::new(SSH_PORT).unwrap(),
        cloudflare_ranges: cloudflare_fallback_ranges(),
        domain: Domain::new("app.example.com").unwrap(),
        images: StackImages {
            caddy: image("caddy:2-alpine", 'a'),
            app: image("registry.example.com/team/app:1.4.2", 'b'),
            node_exporter: image("prom/node-exporter:v1.8.2", 'c'),
        },
        app_port: Port::new(3000).unwrap(),
        bind_ip: "0.0.0.0".parse().unwrap(),
        callback_url: callback.to_owned(),
        callback_secret: Secret::new(CALLBACK_SECRET).unwrap(),
        backup: BackupTarget::new(
            AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
                .unwrap(),
            ObjectStore::new(
                "https://fsn1.your-objectstorage.com",
                "fleet-backups",
                "fsn1",
            )
            .unwrap(),
            S3Credentials::new(
                Secret::new("AKIDFIRSTBOOT").unwrap(),
                Secret::new("first-boot-s3-secret").unwrap(),
            ),
        ),
    })
    .converge(converge::inputs())
    .target(Target::Debian13);
    let mut host = HardenedHost::runbook(&inputs).unwrap();
    for slot in [
        Slot::Docker,
        Slot::ContainerProfiles,
        Slot::Stack,
        Slot::NodeExporter,
        Slot::Backups,
    ] {
        host = host.without(&slot);
    }
    host.set(RenderedPart::new(Slot::Sysctl).files(host::sysctl().files()))
        .set(
            RenderedPart::new(Slot::Auditd)
                .package("auditd")
                .file(host::audit_rules().render()),
        )
        .set(
            ReadyCallback::new(health, callback, Secret::new(CALLBACK_SECRET).unwrap())
                .unwrap()
                .polling(30, 2),
        )
}

fn guest_text(guest: &Container, argv: &[&str]) -> String {
    match guest.exec(argv) {
        Ok(out) => format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => format!("({argv:?}: {e})"),
    }
}

fn ssh(
    key: &Path,
    known_hosts: &Path,
    user: &str,
    ip: &str,
    extra: &[&str],
) -> std::process::Output {
    Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
        ])
        .args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-i")
        .arg(key)
        .args(["-o", "IdentitiesOnly=yes", "-p", &SSH_PORT.to_string()])
        .args(extra)
        .arg(format!("{user}@{ip}"))
        .arg("true")
        .output()
        .expect("run ssh")
}

/// `2026-12-07 18:01:02,123` or `2026-12-07T18:01:02.123456+0000` -> `2026-12-07 18:01:02.123`.
fn wall(ts: &str) -> String {
    ts.replace('T', " ")
        .replace(',', ".")
        .chars()
        .take(23)
        .collect()
}

#[test]
fn first_boot_in_a_container() {
    let _one = ONE_GUEST.lock().unwrap_or_else(|e| e.into_inner());
    if Command::new("ssh").arg("-V").output().is_err() {
        // Reported through the same rule as every validator.
        assert!(
            !hardening_validators::ci_mode(),
            "ssh is missing and CI is set"
        );
        eprintln!("skipping: ssh not installed (apt-get install openssh-client)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("admin");
    let keygen = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "admin@first-boot",
            "-f",
        ])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(keygen.success());
    let admin_key = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let packages: Vec<String> = document(
        admin_key.trim(),
        "http://10.0.0.1/ready",
        "http://10.0.0.1/health",
    )
    .cloud_config()
    .unwrap()
    .package_names()
    .to_vec();
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();

    let build = Instant::now();
    let Some(image) = debian13_rootfs(&package_refs) else {
        return;
    };
    let image_s = build.elapsed().as_secs();

    let link = PrivateLink::new().expect("private link");
    let listener = listener::Listener::start(
        link.host_ip(),
        Verifier::new(Secret::new(CALLBACK_SECRET).unwrap()),
    );
    let base = format!("http://{}:{}", link.host_ip(), listener.port);
    let host = document(
        admin_key.trim(),
        &format!("{base}/ready"),
        &format!("{base}/health"),
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
            guest_text(&guest, &["cloud-init", "status", "--long"]),
            guest.console_text()
        );
    };
    let done_s = done.as_secs();
    let ci_status = status["status"].as_str().unwrap_or("?").to_owned();
    let mut errors: Vec<String> = status["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e.to_string())
        .collect();
    if let Some(rec) = status["recoverable_errors"].as_object() {
        for (level, list) in rec {
            errors.push(format!("recoverable {level}: {list}"));
        }
    }
    if ci_status != "done" || !errors.is_empty() {
        problems.push(format!("cloud-init status={ci_status} errors={errors:?}"));
    }

    // The converge agent: installed, timer enabled, a run with the store away leaves no
    // failed unit.
    problems.extend(converge::problems(&guest));

    let failed_units: Vec<String> =
        guest_text(&guest, &["systemctl", "--failed", "--plain", "--no-legend"])
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
    if !failed_units.is_empty() {
        problems.push(format!("failed units: {failed_units:?}"));
    }

    // Listening sockets outside loopback: only the SSH port.
    let listening = guest_text(&guest, &["ss", "-Htlnu"]);
    for line in listening.lines() {
        let local = line.split_whitespace().nth(4).unwrap_or("");
        let (addr, port) = local.rsplit_once(':').unwrap_or((local, ""));
        let loopback = addr.starts_with("127.") || addr == "[::1]" || addr.contains("%lo");
        if !loopback && port != SSH_PORT.to_string() {
            problems.push(format!("listening besides SSH: {line}"));
        }
    }

    // The ready callback, verified by the listener with the library's verifier.
    let report = match listener.received.recv_timeout(Duration::from_secs(120)) {
        Ok(Ok(report)) => Some(report),
        Ok(Err(e)) => {
            problems.push(format!("ready callback refused: {e}"));
            None
        }
        Err(_) => {
            problems.push("no ready callback within 2 minutes after cloud-init finished".into());
            None
        }
    };
    let known_hosts = dir.path().join("known_hosts");
    if let Some(report) = &report {
        if report.status != ReadyStatus::Ready {
            problems.push(format!("ready callback says {:?}", report.status));
        }
        std::fs::write(
            &known_hosts,
            report.known_hosts(&guest_ip, SSH_PORT).join("\n") + "\n",
        )
        .unwrap();
        let on_guest: Vec<String> = std::fs::read_dir(guest.root().join("etc/ssh"))
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.ends_with("_key.pub").then_some(name)
            })
            .collect();
        if on_guest.len() != report.host_keys.len() {
            problems.push(format!(
                "callback carries {} host keys, guest has {on_guest:?}",
                report.host_keys.len()
            ));
        }
    }

    // SSH: key login with the host key pinned from the callback; everything else refused.
    let login = ssh(&key, &known_hosts, "admin", &guest_ip, &[]);
    if !login.status.success() {
        problems.push(format!(
            "key login failed: {}",
            String::from_utf8_lossy(&login.stderr)
        ));
    }
    let no_key = dir.path().join("no-such-key");
    let password = ssh(
        &no_key,
        &known_hosts,
        "admin",
        &guest_ip,
        &[
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            "-v",
        ],
    );
    let offered = String::from_utf8_lossy(&password.stderr);
    let methods = offered
        .lines()
        .filter_map(|l| l.split("Authentications that can continue: ").nth(1))
        .next_back()
        .unwrap_or("")
        .to_owned();
    if password.status.success() || methods != "publickey" {
        problems.push(format!(
            "password/keyboard-interactive not refused: methods offered {methods:?}"
        ));
    }
    let root = ssh(&key, &known_hosts, "root", &guest_ip, &[]);
    if root.status.success() {
        problems.push("root login with the admin key succeeded".into());
    }

    // Firewall first: nftables loaded by bootcmd before cloud-init's package module ran.
    let firewall = guest_text(
        &guest,
        &[
            "journalctl",
            "-t",
            "hardened-firewall",
            "-o",
            "short-iso-precise",
            "--no-pager",
        ],
    );
    let loaded = firewall
        .lines()
        .find(|l| l.contains("nftables loaded"))
        .map(|l| wall(l.split_whitespace().next().unwrap_or("")));
    let log =
        std::fs::read_to_string(guest.root().join("var/log/cloud-init.log")).unwrap_or_default();
    let packages_at = log
        .lines()
        .find(|l| {
            l.contains("Running module package_update_upgrade_install")
                || l.contains("Running module package-update-upgrade-install")
        })
        .map(|l| wall(&l[..23.min(l.len())]));
    match (&loaded, &packages_at) {
        (Some(l), Some(p)) if l < p => {}
        _ => problems.push(format!(
            "nftables not loaded before packages: loaded {loaded:?}, packages {packages_at:?}"
        )),
    }
    let ruleset = guest_text(&guest, &["nft", "list", "tables"]);
    if !ruleset.contains("inet hardening") {
        problems.push(format!("nftables table missing: {ruleset}"));
    }

    // Secret files: 0600, root.
    let mut secrets = 0;
    for f in cfg
        .files()
        .iter()
        .filter(|f| f.is_secret() || f.mode() == 0o600)
    {
        secrets += 1;
        match std::fs::metadata(guest.root().join(f.path().trim_start_matches('/'))) {
            Ok(m) if m.mode() & 0o7777 == 0o600 && m.uid() == 0 => {}
            Ok(m) => problems.push(format!(
                "{} is {:o} uid {}",
                f.path(),
                m.mode() & 0o7777,
                m.uid()
            )),
            Err(e) => problems.push(format!("{}: {e}", f.path())),
        }
    }
    assert!(secrets > 0, "the document has secret files to check");

    // The project's Appendix B audit on the guest's files, with the live mount table
    // captured as an operator would (`cat /proc/self/mounts`), so os.mounts judges the live
    // options, not only the configured ones.
    let table = guest_text(&guest, &["cat", "/proc/self/mounts"]);
    let capture = guest
        .root()
        .join(hardening_model::audit::captures::MOUNTS.trim_start_matches('/'));
    std::fs::create_dir_all(capture.parent().unwrap()).unwrap();
    std::fs::write(&capture, table).unwrap();
    let report_audit = audit(&DirHost::new(guest.root()));
    if let Some(f) = report_audit.finding("os.mounts")
        && !f.detail.contains("live")
    {
        problems.push(format!(
            "os.mounts did not judge the live table: {}",
            f.detail
        ));
    }
    let vm_only: BTreeMap<&str, &str> = VM_ONLY_CHECKS
        .iter()
        .chain(LEFT_OUT_CHECKS)
        .copied()
        .collect();
    let total = report_audit.findings.len();
    let passed = report_audit
        .findings
        .iter()
        .filter(|f| f.status == Status::Pass)
        .count();
    for f in &report_audit.findings {
        if f.status == Status::Fail && !vm_only.contains_key(f.check.id) {
            problems.push(format!("audit {} failed: {}", f.check.id, f.detail));
        }
    }

    // The mounts as rendered, live at first boot (not only after a reboot).
    problems.extend(mounts::mount_problems(&guest, &[]));

    // A reboot of the same root: still done, still hardened.
    let mut guest = guest;
    guest.reboot().expect("reboot the guest");
    match finished_status(&guest, Duration::from_secs(600)) {
        Some((after, _)) if after["status"] == "done" => {}
        other => problems.push(format!("after a reboot cloud-init says {other:?}")),
    }
    // /tmp is mounted by the container runtime before the guest's systemd starts (see
    // VM_ONLY_CHECKS): here the unit must be enabled, and /var/tmp (mounted by its unit at
    // boot) shows the units work.
    for p in mounts::mount_problems(&guest, &["/tmp"]) {
        problems.push(format!("after a reboot: {p}"));
    }
    let enabled = guest_text(&guest, &["systemctl", "is-enabled", "tmp.mount"]);
    if enabled.trim() != "enabled" {
        problems.push(format!("after a reboot tmp.mount is {enabled:?}"));
    }

    println!(
        "first-boot: status={ci_status} errors={} failed_units={} ssh_s={} done_s={done_s} audit={passed}/{total}",
        errors.len(),
        failed_units.len(),
        ssh_s.map_or_else(|| "none".to_owned(), |s| s.to_string()),
    );
    println!("first-boot: image_s={image_s} (0: cached) boot_to_done_s={done_s}");
    if !problems.is_empty() {
        let diag = [
            guest_text(&guest, &["cloud-init", "status", "--long"]),
            guest_text(
                &guest,
                &[
                    "journalctl",
                    "-t",
                    "hardened-step",
                    "-t",
                    "hardened-ready",
                    "-t",
                    "hardened-sshd",
                    "-t",
                    "hardened-firewall",
                    "--no-pager",
                ],
            ),
            log.lines()
                .filter(|l| l.contains("WARNING") || l.contains("ERROR") || l.contains("Traceback"))
                .collect::<Vec<_>>()
                .join("\n"),
        ]
        .join("\n----\n");
        panic!(
            "first boot problems:\n- {}\n\n{diag}",
            problems.join("\n- ")
        );
    }
}
