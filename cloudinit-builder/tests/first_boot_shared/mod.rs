//! What both first-boot tiers share: the document they boot, the listener for its ready
//! callback, and the checks made on a booted guest (container: `tests/first_boot`; VM:
//! `tests/first_boot_vm`). A tier reaches its guest through [`Shell`] (a command run as root in
//! the guest) and a directory holding the guest's files (the live root for a container, a copy
//! taken over SSH for a VM).

#![allow(dead_code)] // each tier uses its own subset

pub mod listener;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use cloudinit_builder::CloudConfig;
use cloudinit_builder::age::AgeRecipient;
use cloudinit_builder::callback::{ReadyReport, ReadyStatus};
use cloudinit_builder::preset::{
    BackupTarget, ConvergeInputs, HardenedHost, HostMonitoring, ObjectStore, ReadyCallback,
    RenderedPart, RunbookInputs, RunbookRequired, S3Credentials, Slot, Target,
};
use cloudinit_builder::{Secret, SshPublicKey, User};
use hardening_model::audit::{DirHost, Status, audit};
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
use hardening_model::presets::firewall::cloudflare_fallback_ranges;
use hardening_model::presets::host;
use hardening_model::presets::stack::StackImages;
use hardening_model::values::{Domain, Port};

pub const SSH_PORT: u16 = 42022;
pub const CALLBACK_SECRET: &str = "first-boot-callback-secret-7d1e";

/// Appendix B checks a container cannot answer (see the container test's docs), with the
/// reason. The VM tier answers `os.auditd`; the others need Docker, which both tiers leave out.
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
];

/// Appendix B checks of parts both tiers leave out because they download from third parties
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

/// Which guest boots the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// `systemd-nspawn`: no kernel of its own, so the sysctl and auditd parts ship files only.
    Container,
    /// QEMU: the full parts, applied to the guest's own kernel.
    Vm,
}

fn image(name: &str, fill: char) -> ImageRef {
    ImageRef::parse(&format!("{name}@sha256:{}", fill.to_string().repeat(64))).unwrap()
}

/// The document booted: the runbook preset for Debian 13 without the parts that need Docker or
/// third-party repositories; on the container tier also without what needs a kernel of its own.
pub fn document(admin_key: &str, callback: &str, health: &str, tier: Tier) -> HardenedHost {
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
        bind_ip: "203.0.113.10".parse().unwrap(),
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
        // The node_exporter slot is left out below; the firewall still admits the monitoring
        // server on the scrape port.
        monitoring: monitoring(),
    })
    // The test reaches the guest from 10.213.N.1 (container link) or 10.0.2.2 (QEMU's user
    // network): SSH is admitted from there only, as a host is from its admin sources.
    .admin_sources(["10.0.0.0/8".parse().unwrap()])
    .converge(converge_inputs())
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
    if tier == Tier::Container {
        host = host
            .set(RenderedPart::new(Slot::Sysctl).files(host::sysctl().files()))
            .set(
                RenderedPart::new(Slot::Auditd)
                    .package("auditd")
                    .file(host::audit_rules().render()),
            );
    }
    host.set(
        ReadyCallback::new(health, callback, Secret::new(CALLBACK_SECRET).unwrap())
            .unwrap()
            .polling(30, 2),
    )
}

/// The central Prometheus at 192.0.2.10 (the guest's exporter part is left out).
pub fn monitoring() -> HostMonitoring {
    let auth = ScrapeAuth::new("prometheus", "first-boot-scrape-password".into()).unwrap();
    let access = ExporterAccess::new(
        Port::new(9100).unwrap(),
        ["192.0.2.10/32".parse().unwrap()],
        auth,
    )
    .unwrap();
    HostMonitoring::new(
        access,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        Secret::new("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n").unwrap(),
    )
    .unwrap()
}

/// The agent's inputs: the fleet's real object-store endpoint, which the guest (on a private
/// link without a resolver or a route out) cannot reach.
pub fn converge_inputs() -> ConvergeInputs {
    ConvergeInputs {
        instance: "i-first-boot".into(),
        signer_key:
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP"
                .into(),
        store: ObjectStore::new(
            "https://fsn1.your-objectstorage.com",
            "fleet-desired",
            "fsn1",
        )
        .unwrap()
        .prefix("first-boot")
        .unwrap(),
        credentials: S3Credentials::new(
            Secret::new("AKIDDESIREDRO").unwrap(),
            Secret::new("first-boot-desired-secret").unwrap(),
        ),
    }
}

/// A command run as root inside the guest.
pub trait Shell {
    /// Runs `argv`; its stdout and stderr, or a line saying why it could not run.
    fn text(&self, argv: &[&str]) -> String;
}

/// What [`Shell::text`] makes of a command's outcome.
pub fn output_text(argv: &[&str], out: std::io::Result<std::process::Output>) -> String {
    match out {
        Ok(out) => format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => format!("({argv:?}: {e})"),
    }
}

/// The packages the document installs (the guest image preinstalls them: it has no mirror).
pub fn document_packages(admin_key: &str, tier: Tier) -> Vec<String> {
    document(
        admin_key,
        "http://10.0.0.1/ready",
        "http://10.0.0.1/health",
        tier,
    )
    .cloud_config()
    .unwrap()
    .package_names()
    .to_vec()
}

/// Panics with every problem and the guest's diagnostics, unless there is none.
pub fn assert_no_problems(problems: &[String], guest: &dyn Shell, cloud_init_log: &str) {
    if !problems.is_empty() {
        panic!(
            "first boot problems:\n- {}\n\n{}",
            problems.join("\n- "),
            diagnostics(guest, cloud_init_log)
        );
    }
}

/// Whether `ssh` is missing (printed as a skip, or a panic when `CI` is set).
pub fn ssh_missing() -> bool {
    if Command::new("ssh").arg("-V").output().is_err() {
        assert!(
            !hardening_validators::ci_mode(),
            "ssh is missing and CI is set"
        );
        eprintln!("skipping: ssh not installed (apt-get install openssh-client)");
        return true;
    }
    false
}

/// A fresh Ed25519 key pair in `dir`: the private key's path and the public key's line.
pub fn admin_key(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("admin");
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
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, public.trim().to_owned())
}

/// `cloud-init status --format json`: the status and every error and recoverable error.
pub fn cloud_init_outcome(status: &serde_json::Value) -> (String, Vec<String>) {
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
    (ci_status, errors)
}

/// The failed systemd units.
pub fn failed_units(guest: &dyn Shell) -> Vec<String> {
    guest
        .text(&["systemctl", "--failed", "--plain", "--no-legend"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Listening sockets outside loopback other than the SSH port.
pub fn only_ssh_listening(guest: &dyn Shell, problems: &mut Vec<String>) {
    let listening = guest.text(&["ss", "-Htlnu"]);
    for line in listening.lines() {
        let local = line.split_whitespace().nth(4).unwrap_or("");
        let (addr, port) = local.rsplit_once(':').unwrap_or((local, ""));
        let loopback = addr.starts_with("127.") || addr == "[::1]" || addr.contains("%lo");
        if !loopback && port != SSH_PORT.to_string() {
            problems.push(format!("listening besides SSH: {line}"));
        }
    }
}

/// The ready callback as the listener verified it (HMAC, window, nonce), within `wait`.
pub fn ready_report(
    listener: &listener::Listener,
    wait: std::time::Duration,
    problems: &mut Vec<String>,
) -> Option<ReadyReport> {
    match listener.received.recv_timeout(wait) {
        Ok(Ok(report)) => {
            if report.status != ReadyStatus::Ready {
                problems.push(format!("ready callback says {:?}", report.status));
            }
            Some(report)
        }
        Ok(Err(e)) => {
            problems.push(format!("ready callback refused: {e}"));
            None
        }
        Err(_) => {
            problems.push(format!(
                "no ready callback within {} s after cloud-init finished",
                wait.as_secs()
            ));
            None
        }
    }
}

/// The callback's host keys match the guest's (`root`: the guest's files).
pub fn host_keys_match(report: &ReadyReport, root: &Path, problems: &mut Vec<String>) {
    let on_guest: Vec<String> = std::fs::read_dir(root.join("etc/ssh"))
        .map(|dir| {
            dir.filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.ends_with("_key.pub").then_some(name)
            })
            .collect()
        })
        .unwrap_or_default();
    if on_guest.len() != report.host_keys.len() {
        problems.push(format!(
            "callback carries {} host keys, guest has {on_guest:?}",
            report.host_keys.len()
        ));
    }
}

fn ssh(
    key: &Path,
    known_hosts: &Path,
    user: &str,
    host: &str,
    port: u16,
    extra: &[&str],
) -> std::process::Output {
    Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=20",
        ])
        .args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-i")
        .arg(key)
        .args(["-o", "IdentitiesOnly=yes", "-p", &port.to_string()])
        .args(extra)
        .arg(format!("{user}@{host}"))
        .arg("true")
        .output()
        .expect("run ssh")
}

/// SSH at `host`:`port` with the host key pinned from `known_hosts` (the callback's entry):
/// key login works; password, keyboard-interactive and root are refused.
pub fn ssh_logins(
    key: &Path,
    known_hosts: &Path,
    host: &str,
    port: u16,
    problems: &mut Vec<String>,
) {
    let login = ssh(key, known_hosts, "admin", host, port, &[]);
    if !login.status.success() {
        problems.push(format!(
            "key login failed: {}",
            String::from_utf8_lossy(&login.stderr)
        ));
    }
    let no_key = key.with_file_name("no-such-key");
    let password = ssh(
        &no_key,
        known_hosts,
        "admin",
        host,
        port,
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
    let root = ssh(key, known_hosts, "root", host, port, &[]);
    if root.status.success() {
        problems.push("root login with the admin key succeeded".into());
    }
}

/// `2026-12-07 18:01:02,123` or `2026-12-07T18:01:02.123456+0000` -> `2026-12-07 18:01:02.123`.
fn wall(ts: &str) -> String {
    ts.replace('T', " ")
        .replace(',', ".")
        .chars()
        .take(23)
        .collect()
}

/// Firewall first: nftables loaded (by `bootcmd`) before cloud-init's package module ran
/// (`cloud_init_log`: the guest's `/var/log/cloud-init.log`), and its table present.
pub fn firewall_first(guest: &dyn Shell, cloud_init_log: &str, problems: &mut Vec<String>) {
    let firewall = guest.text(&[
        "journalctl",
        "-t",
        "hardened-firewall",
        "-o",
        "short-iso-precise",
        "--no-pager",
    ]);
    let loaded = firewall
        .lines()
        .find(|l| l.contains("nftables loaded"))
        .map(|l| wall(l.split_whitespace().next().unwrap_or("")));
    let packages_at = cloud_init_log
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
    let ruleset = guest.text(&["nft", "list", "tables"]);
    if !ruleset.contains("inet hardening") {
        problems.push(format!("nftables table missing: {ruleset}"));
    }
}

/// Every secret file of the document (and every file it writes `0600`) is `0600` and owned by
/// root in `root` (the guest's files). Returns how many were checked.
pub fn secret_files(cfg: &CloudConfig, root: &Path, problems: &mut Vec<String>) -> usize {
    let mut secrets = 0;
    for f in cfg
        .files()
        .iter()
        .filter(|f| f.is_secret() || f.mode() == 0o600)
    {
        secrets += 1;
        match std::fs::metadata(root.join(f.path().trim_start_matches('/'))) {
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
    secrets
}

/// The project's Appendix B audit on `root` (the guest's files), with `mounts_table` (the
/// guest's `/proc/self/mounts`, captured as an operator would) saved where the audit reads it,
/// so `os.mounts` judges the live options, not only the configured ones. Every failure not
/// excused by `excused` (check id, reason) is a problem. Returns (passed, total).
pub fn appendix_b(
    root: &Path,
    mounts_table: &str,
    excused: &[(&str, &str)],
    problems: &mut Vec<String>,
) -> (usize, usize) {
    let capture = root.join(hardening_model::audit::captures::MOUNTS.trim_start_matches('/'));
    std::fs::create_dir_all(capture.parent().unwrap()).unwrap();
    std::fs::write(&capture, mounts_table).unwrap();
    let report = audit(&DirHost::new(root));
    if let Some(f) = report.finding("os.mounts")
        && !f.detail.contains("live")
    {
        problems.push(format!(
            "os.mounts did not judge the live table: {}",
            f.detail
        ));
    }
    let excused: BTreeMap<&str, &str> = excused.iter().copied().collect();
    let passed = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Pass)
        .count();
    for f in &report.findings {
        if f.status == Status::Fail && !excused.contains_key(f.check.id) {
            problems.push(format!("audit {} failed: {}", f.check.id, f.detail));
        }
    }
    (passed, report.findings.len())
}

/// The summary line both tiers print, ending with the tier (`tier=container`, `tier=vm`).
pub fn summary(
    tier: Tier,
    ci_status: &str,
    errors: usize,
    failed_units: usize,
    ssh_s: Option<u64>,
    done_s: u64,
    audit: (usize, usize),
) -> String {
    format!(
        "first-boot: status={ci_status} errors={errors} failed_units={failed_units} ssh_s={} done_s={done_s} audit={}/{} tier={}",
        ssh_s.map_or_else(|| "none".to_owned(), |s| s.to_string()),
        audit.0,
        audit.1,
        match tier {
            Tier::Container => "container",
            Tier::Vm => "vm",
        },
    )
}

/// What to print when checks fail: cloud-init's long status, the hardening steps' journal and
/// the warnings of `cloud_init_log`.
pub fn diagnostics(guest: &dyn Shell, cloud_init_log: &str) -> String {
    [
        guest.text(&["cloud-init", "status", "--long"]),
        guest.text(&[
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
        ]),
        cloud_init_log
            .lines()
            .filter(|l| l.contains("WARNING") || l.contains("ERROR") || l.contains("Traceback"))
            .collect::<Vec<_>>()
            .join("\n"),
    ]
    .join("\n----\n")
}
