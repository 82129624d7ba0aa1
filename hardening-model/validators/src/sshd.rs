//! `sshd -t` / `sshd -T` on a config text, with a throw-away Ed25519 host key.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::{is_root, require, skip};

const HINT: &str = "apt-get install openssh-server, or bash .ci/install-validators";
const PRIVSEP_DIR: &str = "/run/sshd";

/// OpenSSH's server, used to check configs (`sshd -t`) and print effective ones (`sshd -T`).
///
/// Holds a freshly generated Ed25519 host key in a private temp directory; every run passes it
/// with `-h`, which adds it to whatever `HostKey` lines the config has, so the host's own keys are
/// never needed (missing ones only log a warning as long as this one loads).
#[derive(Debug)]
pub struct Sshd {
    sshd: PathBuf,
    keys: Workdir,
}

/// Finds `sshd` and prepares a host key; `None` (after printing why) when it is missing.
///
/// As root it creates `/run/sshd` (the privilege separation directory sshd insists on, even for
/// `-t`); as another user it skips when that directory is missing.
///
/// # Panics
/// When `CI` is set and sshd cannot be used, or when the temporary host key cannot be generated.
pub fn sshd() -> Option<Sshd> {
    let sshd = require("sshd", HINT)?;
    let keygen = require("ssh-keygen", "apt-get install openssh-client")?;
    if !Path::new(PRIVSEP_DIR).is_dir() {
        if is_root() {
            if let Err(e) = std::fs::create_dir_all(PRIVSEP_DIR) {
                return skip(
                    &format!("sshd: cannot create {PRIVSEP_DIR}"),
                    &e.to_string(),
                );
            }
        } else {
            return skip(
                &format!("sshd needs {PRIVSEP_DIR}"),
                "run the tests as root, or create it: sudo mkdir -p /run/sshd",
            );
        }
    }
    let keys = match host_key(&keygen) {
        Ok(keys) => keys,
        Err(why) => panic!("could not generate a temporary sshd host key: {why}"),
    };
    Some(Sshd { sshd, keys })
}

fn host_key(keygen: &Path) -> Result<Workdir, Rejection> {
    let dir = Workdir::new("ssh-keygen")?;
    let key = dir.path().join("ssh_host_ed25519_key");
    exec::run(
        Command::new(keygen)
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "validator", "-f"])
            .arg(&key),
    )?;
    Ok(dir)
}

impl Sshd {
    /// The path of the temporary Ed25519 host key passed with `-h`.
    pub fn host_key(&self) -> PathBuf {
        self.keys.path().join("ssh_host_ed25519_key")
    }

    /// The `sshd` binary in use.
    pub fn binary(&self) -> &Path {
        &self.sshd
    }

    /// Runs `sshd -t -f CONFIG -h KEY`: Ok when sshd accepts the config.
    ///
    /// `config` is the text of a complete `sshd_config`. A drop-in fragment from
    /// `sshd_config.d` is also a valid standalone config for this check (every keyword it omits
    /// takes its default), so callers may pass a rendered fragment directly. An `Include` line
    /// resolves against the real filesystem.
    pub fn check(&self, config: &str) -> Result<(), Rejection> {
        self.run("-t", config).map(|_| ())
    }

    /// Runs `sshd -T -f CONFIG -h KEY` and returns the effective configuration it prints
    /// (lower-case keywords, one per line, defaults filled in).
    pub fn effective(&self, config: &str) -> Result<String, Rejection> {
        self.run("-T", config)
    }

    fn run(&self, mode: &str, config: &str) -> Result<String, Rejection> {
        let dir = Workdir::new("sshd")?;
        let file = dir.write("sshd_config", config)?;
        let out = exec::run(
            Command::new(&self.sshd)
                .arg(mode)
                .arg("-f")
                .arg(&file)
                .arg("-h")
                .arg(self.host_key()),
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
