//! A copy of a [`GuestImage`] booted by `systemd-nspawn` (real systemd, real cloud-init) with a
//! NoCloud seed, inside a [`PrivateLink`]'s network namespace.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::image::cache_dir;
use super::run;
use super::{GuestImage, PrivateLink};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Where cloud-init's NoCloud datasource reads a seed from the guest's own disk.
pub const NOCLOUD_SEED_DIR: &str = "/var/lib/cloud/seed/nocloud";

/// Units masked in every container: they need a kernel of the guest's own.
pub const CONTAINER_MASKED: &[&str] = &["auditd.service", "audit-rules.service"];

/// A booted guest. Dropping it shuts the guest down (SIGTERM to `systemd-nspawn`, which asks
/// systemd to power off; SIGKILL after 30 s) and deletes its copy of the image.
#[derive(Debug)]
pub struct Container {
    script: Child,
    nspawn: Option<u32>,
    root: PathBuf,
    console: PathBuf,
    started: Instant,
    machine: String,
    netns: String,
}

/// The processes whose parent is `ppid`.
fn children(ppid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok())
                    == Some(ppid)
            })
        })
        .collect()
}

impl Container {
    /// Copies `image`, puts `user_data` and `meta_data` in its NoCloud seed directory and boots
    /// it in `link`'s namespace. Returns once `systemd-nspawn` runs; wait for what you need
    /// with [`Container::wait_for`].
    pub fn boot(
        image: &GuestImage,
        link: &PrivateLink,
        user_data: &[u8],
        meta_data: &[u8],
    ) -> io::Result<Self> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = cache_dir().join(format!("boot-{}-{n}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        run(Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(image.root())
            .arg(&root))?;
        // A container has no audit subsystem of its own: auditd and the rule loader could
        // only fail. They are masked, as on any container platform; auditd is checked on a VM.
        let units = root.join("etc/systemd/system");
        std::fs::create_dir_all(&units)?;
        for unit in CONTAINER_MASKED {
            let link = units.join(unit);
            if link.symlink_metadata().is_err() {
                std::os::unix::fs::symlink("/dev/null", link)?;
            }
        }
        let seed = root.join(NOCLOUD_SEED_DIR.trim_start_matches('/'));
        std::fs::create_dir_all(&seed)?;
        std::fs::write(seed.join("user-data"), user_data)?;
        std::fs::write(seed.join("meta-data"), meta_data)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            seed.join("user-data"),
            std::fs::Permissions::from_mode(0o600),
        )?;

        let console = root.with_extension("console.log");
        let machine = format!("fb{}x{n}", std::process::id());
        let netns = link.netns_path();
        let (script, nspawn, started) = Self::spawn(&machine, &netns, &root, &console)?;
        Ok(Self {
            script,
            nspawn: Some(nspawn),
            root,
            console,
            started,
            machine,
            netns,
        })
    }

    /// Shuts the guest down as [`Drop`] does, keeping its root, and boots that root again
    /// (same machine name and link): a reboot, with the first boot's state on disk. The
    /// console log goes on; [`Container::started`] is the second start.
    pub fn reboot(&mut self) -> io::Result<()> {
        self.shutdown();
        let (script, nspawn, started) =
            Self::spawn(&self.machine, &self.netns, &self.root, &self.console)?;
        self.script = script;
        self.nspawn = Some(nspawn);
        self.started = started;
        Ok(())
    }

    /// Starts `systemd-nspawn` on `root`; returns the `script` wrapper, nspawn's PID and when.
    fn spawn(
        machine: &str,
        netns: &str,
        root: &Path,
        console: &Path,
    ) -> io::Result<(Child, u32, Instant)> {
        let nspawn = format!(
            "exec systemd-nspawn --quiet --register=no --keep-unit --machine={machine} \
             --network-namespace-path={netns} --capability=CAP_NET_ADMIN -D {} -b",
            root.display()
        );
        // CAP_NET_ADMIN (which nspawn grants only with --private-network) lets the guest load
        // its firewall; it is confined to the guest's own network namespace.
        // systemd-nspawn prints nothing without a terminal: `script` gives it one.
        let mut script = Command::new("script")
            .arg("-qfec")
            .arg(&nspawn)
            .arg(console)
            .env("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let started = Instant::now();
        let deadline = started + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(pid) = children(script.id()).into_iter().next() {
                return Ok((script, pid, started));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = script.kill();
        let _ = script.wait();
        Err(io::Error::other(format!(
            "systemd-nspawn did not start; console: {}",
            std::fs::read_to_string(console).unwrap_or_default()
        )))
    }

    /// When `systemd-nspawn` was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The guest's root directory, seen from this side (read its files here, e.g. with
    /// `hardening_model::audit::DirHost`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What the guest printed on its console so far.
    pub fn console_text(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }

    /// The PID of the guest's init: the `systemd` that `systemd-nspawn` started.
    pub fn leader(&self) -> Option<u32> {
        let nspawn = self.nspawn?;
        children(nspawn).into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "systemd")
        })
    }

    /// Runs `argv` inside the guest (its mount, UTS, IPC, network and PID namespaces) with a
    /// clean environment.
    pub fn exec(&self, argv: &[&str]) -> io::Result<Output> {
        let leader = self
            .leader()
            .ok_or_else(|| io::Error::other("the guest's init is not running"))?;
        Command::new("nsenter")
            .args([
                "-t",
                &leader.to_string(),
                "-m",
                "-u",
                "-i",
                "-n",
                "-p",
                "--",
            ])
            .args([
                "env",
                "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
            ])
            .args(argv)
            .stdin(Stdio::null())
            .output()
    }

    /// Polls `probe` every half second until it returns `Some`, or `timeout` passes since the
    /// guest started. Returns the value and the time since start.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> Option<(T, Duration)> {
        super::poll(self.started, timeout, Duration::from_millis(500), || {
            probe(self)
        })
    }
}

impl Container {
    /// SIGTERM to `systemd-nspawn` (systemd powers the guest off), SIGKILL after 30 s.
    fn shutdown(&mut self) {
        if let Some(pid) = self.nspawn.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.script.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            if !matches!(self.script.try_wait(), Ok(Some(_))) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        self.shutdown();
        if std::env::var_os("FIRST_BOOT_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.root);
            let _ = std::fs::remove_file(&self.console);
        }
    }
}
