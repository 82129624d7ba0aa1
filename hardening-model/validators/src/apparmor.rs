//! `apparmor_parser -Q` (AppArmor 4) on a profile.
//!
//! Ubuntu 24.04 ships AppArmor 4.0; Debian 12's parser (3.0.8) cannot read AppArmor 4 syntax
//! (`abi <abi/4.0>,`, `userns,`). `.ci/install-validators` therefore builds a minimal Debian 13
//! root with its `apparmor` package (4.1) in `.ci/apparmor4` with `mmdebstrap`, and the parser
//! runs inside it (`chroot` as root, `unshare --map-root-user --root` otherwise). An
//! `apparmor_parser` 4.x on `PATH` (an Ubuntu 24.04 or Debian 13 machine) is used directly.
//!
//! `-Q` compiles the profile without loading it into a kernel, `-K -T` keep the cache out of it;
//! the parser resolves `#include <tunables/global>` and `abi <...>` against its own
//! `/etc/apparmor.d`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Rejection;
use crate::exec;
use crate::locate::{find_binary, is_root, skip, workspace_root};

const HINT: &str = "bash .ci/install-validators builds a Debian 13 root with apparmor 4 in \
                    .ci/apparmor4 (needs mmdebstrap); Debian 12's apparmor 3.0.8 cannot parse \
                    AppArmor 4 syntax";
const PARSER: &str = "/usr/sbin/apparmor_parser";

/// An AppArmor 4 profile compiler.
#[derive(Debug, Clone)]
pub struct AppArmorParser {
    how: How,
}

#[derive(Debug, Clone)]
enum How {
    /// A 4.x parser on this system.
    Direct(PathBuf),
    /// The parser inside a root directory, entered with `chroot` (root) or `unshare`.
    Rootfs { enter: PathBuf, root: PathBuf },
}

/// The directory `.ci/install-validators` builds the Debian 13 root in.
pub fn apparmor4_root() -> PathBuf {
    workspace_root().join(".ci").join("apparmor4")
}

/// Finds an AppArmor 4 `apparmor_parser`; `None` (after printing why) when there is none.
///
/// # Panics
/// When `CI` is set and none is available.
pub fn apparmor_parser() -> Option<AppArmorParser> {
    let root = apparmor4_root();
    if root.join(PARSER.trim_start_matches('/')).is_file() {
        let enter = if is_root() {
            find_binary("chroot")
        } else {
            find_binary("unshare")
        };
        if let Some(enter) = enter {
            return Some(AppArmorParser {
                how: How::Rootfs { enter, root },
            });
        }
    }
    if let Some(direct) = find_binary("apparmor_parser") {
        let parser = AppArmorParser {
            how: How::Direct(direct),
        };
        if parser.major_version().is_some_and(|v| v >= 4) {
            return Some(parser);
        }
    }
    skip("apparmor_parser 4 not available", HINT)
}

impl AppArmorParser {
    fn command(&self) -> Command {
        match &self.how {
            How::Direct(parser) => Command::new(parser),
            How::Rootfs { enter, root } => {
                let mut cmd = Command::new(enter);
                if enter.ends_with("unshare") {
                    cmd.arg("--map-root-user").arg("--root").arg(root);
                } else {
                    cmd.arg(root);
                }
                cmd.arg(PARSER);
                cmd
            }
        }
    }

    /// The parser's version line, e.g. `AppArmor parser version 4.1.0`.
    pub fn version(&self) -> String {
        exec::output(self.command().arg("--version"))
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .unwrap_or_default()
    }

    fn major_version(&self) -> Option<u32> {
        self.version()
            .rsplit(' ')
            .next()
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
    }

    /// Runs `apparmor_parser -Q -K -T PROFILE`: Ok when the profile compiles.
    pub fn check(&self, profile: &str) -> Result<(), Rejection> {
        let (dir, inside) = match &self.how {
            How::Direct(_) => {
                let dir = tempdir_in(&std::env::temp_dir())?;
                let path = dir.path().join("profile");
                (dir, path)
            }
            How::Rootfs { root, .. } => {
                let dir = tempdir_in(&root.join("tmp"))?;
                let name = dir
                    .path()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (dir, Path::new("/tmp").join(name).join("profile"))
            }
        };
        let file = dir.path().join("profile");
        std::fs::write(&file, profile)
            .map_err(|e| Rejection::setup("apparmor_parser", format!("{}: {e}", file.display())))?;
        exec::run(self.command().args(["-Q", "-K", "-T"]).arg(&inside)).map(|_| ())
    }
}

fn tempdir_in(parent: &Path) -> Result<tempfile::TempDir, Rejection> {
    tempfile::Builder::new()
        .prefix("hardening-validators-")
        .tempdir_in(parent)
        .map_err(|e| Rejection::setup("apparmor_parser", format!("temp dir: {e}")))
}
