//! The real `dockerd` started on a rendered `daemon.json`, in private namespaces.
//!
//! Debian's dockerd 20.10 has no `--validate` (added in 23.0), so the check starts the daemon:
//! it reads `daemon.json` and the log driver's options before it listens, and gives up with
//! "unable to configure the Docker daemon with file" (unknown key, wrong type, bad JSON) or
//! "failed to start daemon" (for example "unknown log opt" from the log driver) when either is
//! wrong. Newer keys (Docker 27/28) may be unknown to 20.10.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::{is_root, require, skip};

/// How long dockerd may run: a valid configuration reaches "API listen on" in about a second.
const SECONDS: &str = "8";

/// Runs inside `unshare -m -n -p -f --mount-proc`: `/run` and `/var/lib` become private tmpfs,
/// `/etc` an overlay whose writes (userns-remap adds the `dockremap` user) end with the
/// namespace, and the network namespace is empty. Exit 0 when dockerd was still running at the
/// timeout, dockerd's own status when it stopped before.
const SCRIPT: &str = r#"set -u
w="$1"; dockerd="$2"; seconds="$3"
mkdir "$w/ov"
mount -t tmpfs tmpfs "$w/ov"
mkdir "$w/ov/upper" "$w/ov/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$w/ov/upper,workdir=$w/ov/work" /etc
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib
timeout "$seconds" "$dockerd" --config-file "$w/daemon.json" 2>&1
rc=$?
[ "$rc" -eq 124 ] && exit 0
exit "$rc"
"#;

/// Docker's daemon, started on a `daemon.json` for a few seconds to see whether it accepts it.
#[derive(Debug, Clone)]
pub struct Dockerd {
    dockerd: PathBuf,
    unshare: PathBuf,
}

/// Finds `dockerd` and `unshare`; `None` (after printing why) when either is missing or the
/// tests do not run as root (the daemon needs mount, network and PID namespaces of its own).
///
/// # Panics
/// When `CI` is set and a tool or root is missing.
pub fn dockerd() -> Option<Dockerd> {
    if !is_root() {
        return skip(
            "dockerd needs root",
            "it runs in private mount, network and PID namespaces",
        );
    }
    let dockerd = require("dockerd", "apt-get install docker.io")?;
    let unshare = require("unshare", "apt-get install util-linux")?;
    Some(Dockerd { dockerd, unshare })
}

impl Dockerd {
    /// Starts dockerd on `daemon_json` for up to 8 seconds in private namespaces (nothing on
    /// the host changes: no network, no files outside the namespace's tmpfs and overlay).
    /// Accepted when it reaches "API listen on"; a daemon that stops first (or never listens)
    /// rejects the file, and its log is in the [`Rejection`].
    pub fn check(&self, daemon_json: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("dockerd")?;
        dir.write("daemon.json", daemon_json)?;
        let script = dir.write("check.sh", SCRIPT)?;
        let mut cmd = Command::new(&self.unshare);
        cmd.args(["-m", "-n", "-p", "-f", "--mount-proc", "sh"])
            .arg(script)
            .arg(dir.path())
            .arg(&self.dockerd)
            .arg(SECONDS);
        let out = exec::run(&mut cmd)?;
        let log = String::from_utf8_lossy(&out.stdout);
        if log.contains("API listen on") {
            Ok(())
        } else {
            Err(Rejection::from_output(
                format!(
                    "{} (no \"API listen on\" within {SECONDS} s)",
                    exec::describe(&cmd)
                ),
                &out,
            ))
        }
    }
}
