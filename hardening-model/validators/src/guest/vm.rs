//! A copy of a [`GuestImage`] built with a kernel, booted as a QEMU virtual machine (its own
//! kernel: auditd, mounts, sysctls and module loading are real) with a NoCloud seed on a vfat
//! disk labelled `CIDATA`.
//!
//! The VM's network is QEMU's user network with `restrict=on`: the guest reaches nothing, not
//! even this machine, except through two explicit forwards. SSH: a port on `127.0.0.1` here
//! (chosen by the kernel) forwards to the guest's SSH port. Callbacks: each `(guest port, host
//! port)` pair given to [`Vm::boot`] as `forwards` makes a listener on `127.0.0.1:HOST_PORT`
//! here reachable by the guest at [`VM_HOST_ALIAS`]`:GUEST_PORT` (a `guestfwd` that runs
//! `socat` per connection). Pick a guest port the document's egress filter lets out (80, 443),
//! as a real control plane's callback URL does.
//!
//! QEMU emulates the CPU (TCG) unless `FIRST_BOOT_ACCEL=kvm` is set: on nested and PVM hosts
//! `/dev/kvm` opens but a stock kernel dies with a KVM internal error, so KVM is opted into
//! where it works.
//!
//! ```no_run
//! use std::path::Path;
//! use std::time::Duration;
//! use hardening_validators::guest::{Vm, debian13_vm_image};
//!
//! let Some(image) = debian13_vm_image(&["openssh-server"]) else { return };
//! let user_data = b"#cloud-config\nusers: [{name: admin, ssh_authorized_keys: ['ssh-ed25519 AAAA...'], sudo: 'ALL=(ALL) NOPASSWD:ALL'}]\n";
//! let mut vm = Vm::boot(&image, user_data, b"instance-id: i-1\n", 22, &[]).unwrap();
//! vm.set_login("admin", Path::new("admin-key"));
//! let done = vm.wait_for(Duration::from_secs(3600), |vm| {
//!     let out = vm.exec(&["cloud-init", "status"]).ok()?;
//!     String::from_utf8_lossy(&out.stdout).contains("done").then_some(())
//! });
//! let out = vm.exec(&["auditctl", "-s"]).unwrap();
//! # let _ = (done, out);
//! ```

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::image::cache_dir;
use super::run;
use super::{GuestImage, debian13_rootfs, tools_present};
use crate::locate::require;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Packages a VM image adds to the document's: the kernel (and, through its dependencies, the
/// initramfs it boots with) and `e2fsprogs` (cloud-init's `resizefs` grows the root file
/// system with `resize2fs`, as on a cloud image). Only VM images carry them, so they are
/// cached apart from the container images.
pub const VM_PACKAGES: &[&str] = &["linux-image-amd64", "e2fsprogs"];

/// The address at which the guest reaches the listeners forwarded by [`Vm::boot`].
pub const VM_HOST_ALIAS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 100);

/// The guest's own address on QEMU's user network (static, set by a systemd-networkd file the
/// VM copy of the image carries).
pub const VM_GUEST_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);

/// The network file the VM copy gets: a static address, no DNS (nothing resolves anyway).
const NETWORK_FILE: &str = "\
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
IPv6AcceptRA=no
";

/// The platform setting the VM copy adds to the image's (as a cloud provider's image does):
/// cloud-init writes the instance's hostname to `/etc/hosts`, so `sudo` (which [`Vm::exec`]
/// runs) resolves it.
const VM_PLATFORM_CFG: &str = "manage_etc_hosts: localhost\n";

/// The tools a VM needs besides the image builder's, or `None` (skip, or panic in CI).
fn vm_tools() -> Option<[PathBuf; 5]> {
    tools_present()?;
    Some([
        require(
            "qemu-system-x86_64",
            "apt-get install qemu-system-x86 (package qemu-system-x86)",
        )?,
        require("mkfs.ext4", "apt-get install e2fsprogs")?,
        require("mkfs.vfat", "apt-get install dosfstools")?,
        require("mcopy", "apt-get install mtools")?,
        require("socat", "apt-get install socat")?,
    ])
}

/// A Debian 13 root file system for a VM: [`debian13_rootfs`] with `packages` and
/// [`VM_PACKAGES`], cached by that list (so apart from the container image of the same
/// document). `None` (after `skipping: ...`) when not root or a tool of the image builder or of
/// [`Vm::boot`] is missing; panics in that case when `CI` is set.
pub fn debian13_vm_image(packages: &[&str]) -> Option<GuestImage> {
    vm_tools()?;
    let all: Vec<&str> = packages.iter().chain(VM_PACKAGES).copied().collect();
    debian13_rootfs(&all)
}

/// A booted virtual machine. Dropping it kills QEMU, closes the SSH master connection and
/// deletes its disk, seed and console log (kept when `FIRST_BOOT_KEEP` is set).
#[derive(Debug)]
pub struct Vm {
    qemu: Child,
    work: PathBuf,
    console: PathBuf,
    ssh: SocketAddr,
    started: Instant,
    login: Option<(String, PathBuf)>,
}

/// A free TCP port on 127.0.0.1, chosen by the kernel.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// The newest file in `boot` whose name starts with `prefix` (`vmlinuz-`, `initrd.img-`).
fn newest(boot: &Path, prefix: &str) -> io::Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(boot)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| {
        io::Error::other(format!(
            "no {prefix}* in {} (was the image built with {VM_PACKAGES:?}?)",
            boot.display()
        ))
    })
}

/// Quotes `arg` for the remote shell that ssh hands its command line to.
fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

impl Vm {
    /// Packs a copy of `image` (with a static address on QEMU's user network) into an ext4 disk,
    /// puts `user_data` and `meta_data` on a vfat seed labelled `CIDATA`, and starts QEMU with
    /// the image's kernel and initramfs, the serial console written to a log file, the guest's
    /// `guest_ssh_port` forwarded from a port on `127.0.0.1` here ([`Vm::ssh_addr`]) and every
    /// `forwards` pair's host port (a listener on `127.0.0.1` here) reachable by the guest at
    /// [`VM_HOST_ALIAS`] on the pair's guest port.
    /// Returns once QEMU runs.
    ///
    /// The image must come from [`debian13_vm_image`] (it needs a kernel).
    pub fn boot(
        image: &GuestImage,
        user_data: &[u8],
        meta_data: &[u8],
        guest_ssh_port: u16,
        forwards: &[(u16, u16)],
    ) -> io::Result<Self> {
        let [qemu, mkfs_ext4, mkfs_vfat, mcopy, socat] =
            vm_tools().ok_or_else(|| io::Error::other("the tools to boot a VM are missing"))?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let work = cache_dir().join(format!("vm-{}-{n}", std::process::id()));
        if work.exists() {
            std::fs::remove_dir_all(&work)?;
        }
        std::fs::create_dir_all(&work)?;
        std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o700))?;

        // The VM's copy of the root: the image plus the network and platform setting the VM
        // needs.
        let root = work.join("root");
        run(Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(image.root())
            .arg(&root))?;
        let network = root.join("etc/systemd/network");
        std::fs::create_dir_all(&network)?;
        std::fs::write(network.join("20-qemu-user.network"), NETWORK_FILE)?;
        std::fs::write(
            root.join("etc/cloud/cloud.cfg.d/91-vm-platform.cfg"),
            VM_PLATFORM_CFG,
        )?;
        run(Command::new("systemctl")
            .arg(format!("--root={}", root.display()))
            .args(["enable", "--quiet", "systemd-networkd.service"]))?;
        let kernel = work.join("vmlinuz");
        let initrd = work.join("initrd.img");
        std::fs::copy(newest(&root.join("boot"), "vmlinuz-")?, &kernel)?;
        std::fs::copy(newest(&root.join("boot"), "initrd.img-")?, &initrd)?;

        // The disk: the root's size plus 3 GiB for what the first boot writes.
        let used = Command::new("du").args(["-sxm"]).arg(&root).output()?;
        let used_mib: u64 = String::from_utf8_lossy(&used.stdout)
            .split_whitespace()
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| io::Error::other("du printed no size"))?;
        let disk = work.join("disk.raw");
        run(Command::new(mkfs_ext4)
            .args(["-q", "-F", "-L", "guestroot", "-d"])
            .arg(&root)
            .arg(&disk)
            .arg(format!("{}M", used_mib + 3072)))?;
        std::fs::remove_dir_all(&root)?;

        // The NoCloud seed: a vfat image labelled CIDATA, filled by mtools (no loop mount).
        let seed = work.join("seed.img");
        let seed_dir = work.join("seed");
        std::fs::create_dir_all(&seed_dir)?;
        let ud = seed_dir.join("user-data");
        std::fs::write(&ud, user_data)?;
        std::fs::set_permissions(&ud, std::fs::Permissions::from_mode(0o600))?;
        std::fs::write(seed_dir.join("meta-data"), meta_data)?;
        run(Command::new(mkfs_vfat)
            .args(["-n", "CIDATA", "-C"])
            .arg(&seed)
            .arg("2048"))?;
        std::fs::set_permissions(&seed, std::fs::Permissions::from_mode(0o600))?;
        for name in ["user-data", "meta-data"] {
            run(Command::new(&mcopy)
                .arg("-i")
                .arg(&seed)
                .arg(seed_dir.join(name))
                .arg(format!("::{name}")))?;
        }
        std::fs::remove_dir_all(&seed_dir)?;

        let ssh_port = free_port()?;
        let mut nic = format!(
            "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:{ssh_port}-:{guest_ssh_port}"
        );
        for (guest_port, host_port) in forwards {
            nic.push_str(&format!(
                ",guestfwd=tcp:{VM_HOST_ALIAS}:{guest_port}-cmd:{} STDIO TCP:127.0.0.1:{host_port}",
                socat.display()
            ));
        }
        let accel = match std::env::var("FIRST_BOOT_ACCEL").as_deref() {
            Ok("kvm") => "kvm",
            _ => "tcg,thread=multi",
        };
        let console = work.join("console.log");
        let qemu = Command::new(qemu)
            .args(["-nodefaults", "-no-user-config", "-display", "none"])
            .args(["-accel", accel, "-cpu", "max", "-smp", "2", "-m", "3072"])
            .arg("-kernel")
            .arg(&kernel)
            .arg("-initrd")
            .arg(&initrd)
            .args(["-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0"])
            .arg("-drive")
            .arg(format!("file={},format=raw,if=virtio", disk.display()))
            .arg("-drive")
            .arg(format!(
                "file={},format=raw,if=virtio,readonly=on",
                seed.display()
            ))
            .args(["-device", "virtio-rng-pci", "-nic", &nic])
            .arg("-serial")
            .arg(format!("file:{}", console.display()))
            .args(["-monitor", "none"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(work.join("qemu.log"))?)
            .spawn()?;
        let mut vm = Self {
            qemu,
            work,
            console,
            ssh: SocketAddr::from((Ipv4Addr::LOCALHOST, ssh_port)),
            started: Instant::now(),
            login: None,
        };
        std::thread::sleep(Duration::from_secs(1));
        if let Ok(Some(status)) = vm.qemu.try_wait() {
            return Err(io::Error::other(format!(
                "qemu exited {status}: {}",
                std::fs::read_to_string(vm.work.join("qemu.log")).unwrap_or_default()
            )));
        }
        Ok(vm)
    }

    /// When QEMU was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Where the guest's SSH port is reached from here (`127.0.0.1`, a port of its own).
    pub fn ssh_addr(&self) -> SocketAddr {
        self.ssh
    }

    /// What the guest printed on its serial console so far.
    pub fn console_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.console).unwrap_or_default()).into_owned()
    }

    /// The account [`Vm::exec`] logs in as (it needs passwordless sudo) and its private key.
    pub fn set_login(&mut self, user: &str, key: &Path) {
        self.login = Some((user.to_owned(), key.to_path_buf()));
    }

    /// Runs `argv` as root in the guest (`sudo -n` over SSH, with a clean environment). Every
    /// call shares one SSH connection (a control master), so a firewall that rate-limits new
    /// SSH connections is not tripped. The guest's host key is recorded on first use in a
    /// file of this VM's own; check it against a trusted source before relying on it.
    pub fn exec(&self, argv: &[&str]) -> io::Result<Output> {
        let (user, key) = self
            .login
            .as_ref()
            .ok_or_else(|| io::Error::other("Vm::set_login was not called"))?;
        let remote: Vec<String> = [
            "sudo",
            "-n",
            "env",
            "-i",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG=C.UTF-8",
        ]
        .iter()
        .chain(argv)
        .map(|a| shell_quote(a))
        .collect();
        self.ssh_command(user, key)
            .arg("--")
            .arg(remote.join(" "))
            .stdin(Stdio::null())
            .output()
    }

    fn ssh_command(&self, user: &str, key: &Path) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=20",
        ])
        .args(["-o", "ControlMaster=auto", "-o", "ControlPersist=yes", "-o"])
        .arg(format!(
            "ControlPath={}",
            self.work.join("ssh-master").display()
        ))
        .args(["-o", "StrictHostKeyChecking=accept-new", "-o"])
        .arg(format!(
            "UserKnownHostsFile={}",
            self.work.join("known_hosts").display()
        ))
        .args(["-o", "IdentitiesOnly=yes", "-i"])
        .arg(key)
        .args(["-p", &self.ssh.port().to_string(), "-l", user])
        .arg(self.ssh.ip().to_string());
        cmd
    }

    /// Polls `probe` every six seconds until it returns `Some`, or `timeout` passes since QEMU
    /// started. Returns the value and the time since start. Six seconds keep a probe that opens
    /// a connection each time under a hardened firewall's per-source SSH rate (12 a minute).
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> Option<(T, Duration)> {
        super::poll(self.started, timeout, Duration::from_secs(6), || {
            probe(self)
        })
    }

    /// Copies `paths` (absolute paths in the guest; missing ones are left out) into `dest` with
    /// their modes and numeric owners, so file checks (and the audit's `DirHost`) read the
    /// guest's files here. Runs `tar` as root in the guest over the shared SSH connection.
    pub fn snapshot(&self, paths: &[&str], dest: &Path) -> io::Result<()> {
        let (user, key) = self
            .login
            .as_ref()
            .ok_or_else(|| io::Error::other("Vm::set_login was not called"))?;
        std::fs::create_dir_all(dest)?;
        let list: Vec<String> = paths
            .iter()
            .map(|p| shell_quote(p.trim_start_matches('/')))
            .collect();
        // Each path is checked first: tar stops on a missing one.
        let remote = format!(
            "cd / && for p in {}; do [ -e \"$p\" ] && printf '%s\\0' \"$p\"; done \
             | sudo -n tar --null -T - -cf -",
            list.join(" ")
        );
        let tar = self
            .ssh_command(user, key)
            .arg("--")
            .arg(remote)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()?;
        if !tar.status.success() {
            return Err(io::Error::other(format!(
                "tar in the guest: {}",
                tar.status
            )));
        }
        let mut untar = Command::new("tar")
            .args(["--numeric-owner", "-xpf", "-", "-C"])
            .arg(dest)
            .stdin(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = untar.stdin.take() {
            io::Write::write_all(&mut stdin, &tar.stdout)?;
        }
        let status = untar.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("tar here: {status}")))
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if let Some((user, key)) = self.login.clone() {
            let _ = self
                .ssh_command(&user, &key)
                .args(["-O", "exit"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
        if std::env::var_os("FIRST_BOOT_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.work);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("auditctl"), "auditctl");
        assert_eq!(shell_quote("-s"), "-s");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(reboot)"), "'$(reboot)'");
    }

    #[test]
    fn newest_kernel_is_the_highest_version() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "vmlinuz-6.1.0-1-amd64",
            "vmlinuz-6.12.0-1-amd64",
            "config-6.12",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert!(
            newest(dir.path(), "vmlinuz-")
                .unwrap()
                .ends_with("vmlinuz-6.12.0-1-amd64")
        );
        assert!(newest(dir.path(), "initrd.img-").is_err());
    }
}
