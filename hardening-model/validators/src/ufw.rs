//! `ufw --dry-run` for a single ufw command.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec;
use crate::locate::{is_root, require, skip};

/// ufw's dry run: parses a command and prints the iptables-restore lines it would write,
/// without touching `/etc/ufw` or the kernel.
#[derive(Debug, Clone)]
pub struct Ufw {
    ufw: PathBuf,
}

/// Finds `ufw`; `None` (after printing why) when it is missing or not running as root
/// (ufw refuses to run, even with `--dry-run`, for other users).
///
/// # Panics
/// When `CI` is set and ufw cannot be used.
pub fn ufw() -> Option<Ufw> {
    let ufw = require("ufw", "apt-get install ufw")?;
    if !is_root() {
        return skip("ufw --dry-run needs root", "run the tests as root");
    }
    Some(Ufw { ufw })
}

impl Ufw {
    /// Runs `ufw --dry-run ARGS` (e.g. `["allow", "443/tcp"]`) and returns what it printed.
    ///
    /// Pass the arguments after `ufw` as separate strings, exactly as a shell would split
    /// them. ufw exits 1 for a bad port, bad address or invalid syntax.
    pub fn dry_run(&self, args: &[&str]) -> Result<String, Rejection> {
        exec::run(Command::new(&self.ufw).arg("--dry-run").args(args))
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    }
}
