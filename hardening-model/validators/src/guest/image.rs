//! The guest's root file system: Debian 13 from Debian's mirror, built once per package list
//! and cached.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::tools_present;
use crate::locate::workspace_root;

/// What every guest image holds besides the document's own packages: systemd as init,
/// cloud-init, OpenSSH and the tools the checks run inside the guest.
pub const IMAGE_PACKAGES: &[&str] = &[
    "systemd",
    "systemd-sysv",
    "dbus",
    "udev",
    "cloud-init",
    "openssh-server",
    "sudo",
    "iproute2",
    "netbase",
    "ca-certificates",
    "procps",
    "kmod",
    "python3",
];

/// The platform settings the image ships in `/etc/cloud/cloud.cfg.d`, as a cloud provider's
/// image does: the NoCloud seed directory is the only datasource; the network is configured by
/// the test's [`PrivateLink`](super::PrivateLink), not by cloud-init; and apt keeps the image's
/// (empty) sources, since the guest has no mirror and every package is preinstalled.
pub const PLATFORM_CFG: &str = "\
datasource_list: [NoCloud]
network: {config: disabled}
apt: {preserve_sources_list: true}
";

/// Bumped when the build steps below change, so cached images are rebuilt.
const RECIPE: &str = "debian13-nspawn-1";

/// A cached guest root file system (never booted itself: [`Container`](super::Container) boots
/// a copy).
#[derive(Debug, Clone)]
pub struct GuestImage {
    root: PathBuf,
    packages: Vec<String>,
}

impl GuestImage {
    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every package the image was built with.
    pub fn packages(&self) -> &[String] {
        &self.packages
    }
}

/// The Debian archive this machine's apt already uses (the entry of its own release), so the
/// guest comes from the same mirror as the host's packages.
fn debian_mirror() -> Result<String, String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            ". /etc/os-release && apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
             | awk -v r=\"$VERSION_CODENAME\" '$2 == r && m == \"\" { m = $1 } END { print m }'",
        )
        .output()
        .map_err(|e| format!("apt-get indextargets: {e}"))?;
    let mirror = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if mirror.is_empty() {
        return Err("no Debian archive in this machine's apt sources (run apt-get update)".into());
    }
    Ok(mirror)
}

/// FNV-1a: stable across toolchains, enough to name a cache entry.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Where images are cached: `$FIRST_BOOT_CACHE`, else `$CARGO_TARGET_DIR/first-boot`, else
/// `<workspace>/target/first-boot`.
pub(crate) fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FIRST_BOOT_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
        .join("first-boot")
}

/// A Debian 13 (trixie) root file system with [`IMAGE_PACKAGES`] and `packages` installed
/// (without Recommends), built by `mmdebstrap` from the Debian archive this machine's apt uses, on first use and cached
/// under the cache directory (`$FIRST_BOOT_CACHE`, else `$CARGO_TARGET_DIR/first-boot`) by the package list: a changed list builds a new image. The build takes
/// a few minutes; later calls return at once.
///
/// `None` (after printing `skipping: ...`) when not root or a tool is missing; panics when `CI`
/// is set in that case, and whenever the build itself fails.
pub fn debian13_rootfs(packages: &[&str]) -> Option<GuestImage> {
    tools_present()?;
    let mut all: Vec<String> = IMAGE_PACKAGES
        .iter()
        .chain(packages)
        .map(|p| (*p).to_owned())
        .collect();
    all.sort();
    all.dedup();
    let key = format!("{RECIPE}\n{PLATFORM_CFG}\n{}", all.join(","));
    let dir = cache_dir();
    let root = dir.join(format!("debian13-{:016x}", fnv(&key)));
    if root.join("etc/os-release").is_file() {
        return Some(GuestImage {
            root,
            packages: all,
        });
    }
    if let Err(e) = build(&dir, &root, &all) {
        panic!("building the Debian 13 guest image failed: {e}");
    }
    Some(GuestImage {
        root,
        packages: all,
    })
}

fn build(dir: &Path, root: &Path, packages: &[String]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = root.with_extension("partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    let log = root.with_extension("log");
    let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err_file = log_file.try_clone().map_err(|e| e.to_string())?;
    let hook = format!(
        "set -e; r=\"$1\"; \
         rm -f \"$r\"/etc/apt/sources.list; rm -f \"$r\"/etc/apt/sources.list.d/*; \
         rm -f \"$r\"/etc/ssh/ssh_host_*; \
         : > \"$r\"/etc/machine-id; \
         printf '%s' '{PLATFORM_CFG}' > \"$r\"/etc/cloud/cloud.cfg.d/90-guest-platform.cfg"
    );
    let status = Command::new("mmdebstrap")
        .args([
            "--mode=root",
            "--variant=minbase",
            "--skip=check/empty",
            "--aptopt=APT::Install-Recommends \"false\"",
        ])
        .arg(format!("--include={}", packages.join(",")))
        .arg(format!("--customize-hook={hook}"))
        .arg("trixie")
        .arg(&tmp)
        .arg(debian_mirror()?)
        .stdout(log_file)
        .stderr(err_file)
        .status()
        .map_err(|e| format!("mmdebstrap: {e}"))?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("mmdebstrap exited {status}:\n{}", tail.join("\n")));
    }
    std::fs::rename(&tmp, root).map_err(|e| format!("{}: {e}", root.display()))
}
