//! First boot on a QEMU virtual machine: the VM tier of the first-boot test.
//!
//! Run it with
//!
//! ```text
//! FIRST_BOOT_VM=1 cargo test -p cloudinit-builder --test first_boot_vm -- --nocapture
//! ```
//!
//! Without `FIRST_BOOT_VM=1` it prints `skipping: ...` and passes: under TCG (software
//! emulation, what works where KVM does not) a run takes about 15 minutes on 2 vCPUs (the image
//! build about 4 of them, once; cloud-init done about 9 minutes after power-on), too long for CI,
//! which runs the container tier (`tests/first_boot`).
//!
//! A test binary of its own, like `tests/first_boot` (the crate's other integration tests are
//! the one binary `tests/all`): it needs root, runs for a quarter of an hour and only on demand.
//!
//! The guest is a Debian 13 image built by `mmdebstrap` with the document's packages and a
//! kernel (`linux-image-amd64`, and `e2fsprogs` for cloud-init's `resizefs`, only in the VM image; cached apart from the container image),
//! packed into an ext4 disk, booted by `qemu-system-x86_64 -accel tcg,thread=multi -cpu max
//! -smp 2 -m 3072` with the image's kernel and initramfs and the document on a NoCloud seed
//! (vfat, label `CIDATA`). QEMU's user network runs with `restrict=on`: SSH is forwarded from
//! a port on 127.0.0.1 here, and the ready callback reaches a listener on 127.0.0.1 here
//! through a `guestfwd`; nothing else is reachable. The document is the container tier's with
//! the full sysctl and auditd parts (a VM has its own kernel).
//!
//! It makes every check of the container tier (`tests/first_boot_shared`) and the ones only a
//! VM can make:
//!
//! - auditd running with its rules loaded: `auditctl -s` says `enabled 2` (locked) and
//!   `auditctl -l` lists as many rules as the rendered rules file holds; Appendix B's
//!   `os.auditd` is answered;
//! - mounts as rendered, live: every rendered `.mount` unit's flags (`noexec`, `nosuid`,
//!   `nodev`) on the mounted file system (`findmnt`), and the live options of `/tmp`,
//!   `/dev/shm` and `/proc` printed;
//! - sysctls as rendered: every key of the rendered `sysctl.d` files has its value in the
//!   running kernel;
//! - kernel module blacklist: every module the rendered `modprobe.d` file disables fails to
//!   load (`modprobe`) and is absent from `/proc/modules`.
//!
//! The egress filter is also exercised here only: the document filters the interface `eth0`
//! (the VPS's), which the VM has and the container's link does not, so the callback here goes
//! to port 80, one of the ports the document lets out.
//!
//! It prints `first-boot: status=done errors=0 failed_units=0 ssh_s=N done_s=N audit=P/T tier=vm`
//! and `first-boot: tier=vm ...` lines with the VM-only results.
//!
//! Needs root, `mmdebstrap`, `qemu-system-x86_64`, `mkfs.ext4`, `mkfs.vfat`, `mcopy`, `socat`
//! and `ssh` (`.ci/install-validators`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[path = "../first_boot_shared/mod.rs"]
mod shared;
mod vm_checks;

use std::io::Read as _;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cloudinit_builder::Secret;
use cloudinit_builder::callback::Verifier;
use hardening_validators::guest::{VM_HOST_ALIAS, Vm, debian13_vm_image};
use shared::{CALLBACK_SECRET, LEFT_OUT_CHECKS, SSH_PORT, Shell, Tier, VM_ONLY_CHECKS, document};

/// The audit checks the VM answers although the container cannot.
const ANSWERED_ON_VM: &[&str] = &["os.auditd"];

/// Paths copied from the guest for the file checks and the audit (besides the document's own
/// files).
const SNAPSHOT: &[&str] = &[
    "/etc",
    "/opt",
    "/srv",
    "/usr/local",
    "/var/spool/cron",
    "/var/log/cloud-init.log",
    "/run/hardening-audit",
];

struct Guest(Vm);

impl Shell for Guest {
    fn text(&self, argv: &[&str]) -> String {
        shared::output_text(argv, self.0.exec(argv))
    }
}

/// Whether sshd answers on `vm`'s forwarded port: QEMU accepts the connection here before the
/// guest does, so only the guest's banner proves it.
fn ssh_banner(vm: &Vm) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&vm.ssh_addr(), Duration::from_secs(5)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
    let mut buf = [0u8; 8];
    stream.read_exact(&mut buf).is_ok() && buf.starts_with(b"SSH-")
}

#[test]
fn first_boot_in_a_vm() {
    if std::env::var("FIRST_BOOT_VM").as_deref() != Ok("1") {
        eprintln!("skipping: the VM tier takes ~15 min under TCG; set FIRST_BOOT_VM=1");
        return;
    }
    if shared::ssh_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (key, admin_key) = shared::admin_key(dir.path());
    let packages = shared::document_packages(&admin_key, Tier::Vm);
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();
    let build = Instant::now();
    let Some(image) = debian13_vm_image(&package_refs) else {
        return;
    };
    let image_s = build.elapsed().as_secs();

    let listener = shared::listener::Listener::start(
        std::net::Ipv4Addr::LOCALHOST,
        Verifier::new(Secret::new(CALLBACK_SECRET).unwrap()),
    );
    // Port 80 in the guest: the document's egress filter lets out only DNS, NTP, HTTP and HTTPS.
    let base = format!("http://{VM_HOST_ALIAS}");
    let host = document(
        &admin_key,
        &format!("{base}/ready"),
        &format!("{base}/health"),
        Tier::Vm,
    );
    let cfg = host.cloud_config().unwrap();
    let user_data = host.render().unwrap();
    assert!(user_data.len() <= host.budget_bytes());

    let mut vm = Vm::boot(
        &image,
        user_data.as_str().as_bytes(),
        b"instance-id: i-first-boot-vm\nlocal-hostname: first-boot\n",
        SSH_PORT,
        &[(80, listener.port)],
    )
    .expect("boot the VM");
    let boot_s = vm.started().duration_since(build).as_secs() - image_s;
    vm.set_login("admin", &key);
    let mut problems: Vec<String> = Vec::new();

    let ssh_s = vm
        .wait_for(Duration::from_secs(3600), |vm| ssh_banner(vm).then_some(()))
        .map(|(_, t)| t.as_secs());
    if ssh_s.is_none() {
        panic!(
            "sshd did not answer on the guest's port {SSH_PORT} within an hour\n{}",
            vm.console_text()
        );
    }
    let status = vm.wait_for(Duration::from_secs(5400), |vm| {
        let out = vm
            .exec(&["cloud-init", "status", "--format", "json"])
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        matches!(v["status"].as_str(), Some("done" | "error" | "disabled")).then_some(v)
    });
    let guest = Guest(vm);
    let Some((status, done)) = status else {
        panic!(
            "cloud-init did not finish in 90 minutes\n{}\n{}",
            guest.text(&["cloud-init", "status", "--long"]),
            guest.0.console_text()
        );
    };
    let done_s = done.as_secs();
    let (ci_status, errors) = shared::cloud_init_outcome(&status);
    if ci_status != "done" || !errors.is_empty() {
        problems.push(format!("cloud-init status={ci_status} errors={errors:?}"));
    }
    let failed_units = shared::failed_units(&guest);
    if !failed_units.is_empty() {
        problems.push(format!("failed units: {failed_units:?}"));
    }
    shared::only_ssh_listening(&guest, &mut problems);

    // The guest's files, copied here with modes and owners.
    let files = dir.path().join("guest");
    let mut paths: Vec<&str> = SNAPSHOT.to_vec();
    paths.extend(cfg.files().iter().map(|f| f.path()));
    guest
        .0
        .snapshot(&paths, &files)
        .expect("copy the guest's files");

    let report = shared::ready_report(&listener, Duration::from_secs(300), &mut problems);
    let known_hosts = dir.path().join("known_hosts");
    let ssh_ip = guest.0.ssh_addr().ip().to_string();
    let ssh_port = guest.0.ssh_addr().port();
    if let Some(report) = &report {
        std::fs::write(
            &known_hosts,
            report.known_hosts(&ssh_ip, ssh_port).join("\n") + "\n",
        )
        .unwrap();
        shared::host_keys_match(report, &files, &mut problems);
    }
    shared::ssh_logins(&key, &known_hosts, &ssh_ip, ssh_port, &mut problems);

    let log = std::fs::read_to_string(files.join("var/log/cloud-init.log")).unwrap_or_default();
    shared::firewall_first(&guest, &log, &mut problems);
    let secrets = shared::secret_files(&cfg, &files, &mut problems);
    assert!(secrets > 0, "the document has secret files to check");
    let excused: Vec<(&str, &str)> = VM_ONLY_CHECKS
        .iter()
        .chain(LEFT_OUT_CHECKS)
        .filter(|(id, _)| !ANSWERED_ON_VM.contains(id))
        .copied()
        .collect();
    let mounts_table = guest.text(&["cat", "/proc/self/mounts"]);
    let audit = shared::appendix_b(&files, &mounts_table, &excused, &mut problems);

    // What only a VM shows.
    let audit_rules = vm_checks::auditd(&guest, &cfg, &mut problems);
    let mounts = vm_checks::mounts(&guest, &cfg, &mut problems);
    let sysctls = vm_checks::sysctls(&guest, &cfg, &mut problems);
    let modules = vm_checks::modules(&guest, &cfg, &mut problems);

    println!(
        "{}",
        shared::summary(
            Tier::Vm,
            &ci_status,
            errors.len(),
            failed_units.len(),
            ssh_s,
            done_s,
            audit
        )
    );
    println!(
        "first-boot: tier=vm image_s={image_s} (0: cached) disk_s={boot_s} audit_rules={audit_rules} sysctls={sysctls} modules_refused={modules}"
    );
    println!("first-boot: tier=vm mounts {mounts}");
    shared::assert_no_problems(&problems, &guest, &log);
}
