//! Booting a rendered first-boot document on a real guest: a Debian 13 root file system built
//! with `mmdebstrap` from Debian's mirror and cached ([`debian13_rootfs`]), booted with real
//! systemd and real cloud-init by `systemd-nspawn` ([`Container`]) on a private point-to-point
//! link ([`PrivateLink`]) in its own network namespace, or booted by QEMU as a virtual
//! machine with its own kernel ([`Vm`], image from [`debian13_vm_image`]) for the checks a
//! container cannot make (auditd, live mounts, sysctls, kernel modules).
//!
//! The guest never shares this machine's network namespace: the documents load nftables and
//! ufw rules with egress filtering, which would otherwise firewall the machine running the
//! tests. The container reaches nothing but the link's other end, which only the test uses;
//! the VM reaches nothing but the listeners its test forwards (QEMU's user network with
//! `restrict=on`).
//!
//! Everything here needs root and the tools `mmdebstrap`, `systemd-nspawn`, `ip`, `nsenter`
//! and `script`, and for a VM `qemu-system-x86_64`, `mkfs.ext4`, `mkfs.vfat`, `mcopy` and
//! `socat` (`.ci/install-validators`); without them the finders print `skipping: ...` and
//! return `None`, or panic when `CI` is set.
//!
//! ```no_run
//! use hardening_validators::guest::{debian13_rootfs, Container, PrivateLink};
//! let Some(image) = debian13_rootfs(&["openssh-server"]) else { return };
//! let link = PrivateLink::new().unwrap();
//! let guest = Container::boot(&image, &link, b"#cloud-config\n", b"instance-id: i-1\n").unwrap();
//! let out = guest.exec(&["cloud-init", "status", "--wait"]).unwrap();
//! # let _ = out;
//! ```

mod container;
mod image;
mod link;
mod vm;

pub use container::{CONTAINER_MASKED, Container, NOCLOUD_SEED_DIR};
pub use image::{GuestImage, IMAGE_PACKAGES, debian13_rootfs};
pub use link::PrivateLink;
pub use vm::{VM_GUEST_IP, VM_HOST_ALIAS, VM_PACKAGES, Vm, debian13_vm_image};

use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::locate::{is_root, require, skip};

/// Runs `cmd`; an error carrying its stderr when it fails.
pub(crate) fn run(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Calls `probe` every `interval` until it returns `Some`, or `timeout` has passed since
/// `started`. Returns the value and the time since `started`.
pub(crate) fn poll<T>(
    started: Instant,
    timeout: Duration,
    interval: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<(T, Duration)> {
    loop {
        if let Some(v) = probe() {
            return Some((v, started.elapsed()));
        }
        if started.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(interval);
    }
}

/// The tools every guest needs, or `None` (skip, or panic in CI) when one is missing.
pub(crate) fn tools_present() -> Option<()> {
    if !is_root() {
        return skip(
            "booting a guest needs root",
            "systemd-nspawn and ip netns need CAP_SYS_ADMIN",
        );
    }
    for (tool, hint) in [
        ("mmdebstrap", "apt-get install mmdebstrap"),
        ("systemd-nspawn", "apt-get install systemd-container"),
        ("ip", "apt-get install iproute2"),
        ("nsenter", "apt-get install util-linux"),
        ("script", "apt-get install bsdutils"),
    ] {
        require(tool, hint)?;
    }
    Some(())
}
