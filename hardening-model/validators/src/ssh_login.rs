//! A real sshd on 127.0.0.1 serving a rendered config, and the OpenSSH client logging in to it
//! with a key and (optionally) a certificate.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Sshd;
use crate::exec;
use crate::locate::{is_root, require, skip};
use crate::server::{Launch, ServerProcess};

/// The sshd server and the `ssh` client, for login tests.
#[derive(Debug)]
pub struct SshLogin {
    sshd: Sshd,
    ssh: PathBuf,
}

/// Finds `sshd` and `ssh`; `None` (after printing why) when either is missing or the tests do
/// not run as root (sshd needs root to switch to the logged-in user).
///
/// # Panics
/// When `CI` is set and a tool is missing or the tests are not run as root.
pub fn ssh_login() -> Option<SshLogin> {
    let ssh = require("ssh", "apt-get install openssh-client")?;
    let sshd = crate::sshd()?;
    if !is_root() {
        return skip(
            "ssh login: starting a real sshd needs root",
            "run the tests as root",
        );
    }
    Some(SshLogin { sshd, ssh })
}

/// The result of one `ssh` login attempt.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The client's exit status: 255 means ssh itself failed (authentication refused, no
    /// connection); anything else is the remote command's status, so the login succeeded.
    pub status: Option<i32>,
    /// The client's stderr.
    pub stderr: String,
}

impl LoginAttempt {
    /// Whether the server accepted the login (the client did not exit with 255).
    pub fn authenticated(&self) -> bool {
        self.status.is_some_and(|s| s != 255)
    }
}

impl SshLogin {
    /// The temporary Ed25519 host key sshd is started with (`-h`); a config may name it in
    /// `HostKey`.
    pub fn host_key(&self) -> PathBuf {
        self.sshd.host_key()
    }

    /// Checks `config` with `sshd -t`, then starts `sshd -D -e -f CONFIG -h KEY
    /// -o ListenAddress=127.0.0.1 -p PORT` on a free loopback port. The server logs to its
    /// [`ServerProcess::log`] and is killed when dropped.
    ///
    /// # Panics
    /// When sshd rejects the config or does not start.
    pub fn serve(&self, config: &str) -> ServerProcess {
        if let Err(e) = self.sshd.check(config) {
            panic!("sshd -t rejected the config: {e}");
        }
        let config = config.to_owned();
        let host_key = self.sshd.host_key();
        let args = move |port: u16, dir: &Path| {
            let file = dir.join("sshd_config");
            if let Err(e) = std::fs::write(&file, &config) {
                panic!("writing {}: {e}", file.display());
            }
            vec![
                "-D".to_owned(),
                "-e".to_owned(),
                "-f".to_owned(),
                file.display().to_string(),
                "-h".to_owned(),
                host_key.display().to_string(),
                "-o".to_owned(),
                "ListenAddress=127.0.0.1".to_owned(),
                "-p".to_owned(),
                port.to_string(),
            ]
        };
        Launch {
            name: "sshd",
            binary: self.sshd.binary(),
            args: &args,
            ready_path: None,
        }
        .start()
    }

    /// Runs `ssh -F /dev/null -i IDENTITY [-o CertificateFile=CERT] -p PORT USER@127.0.0.1
    /// true` in batch mode (no passwords, no agent, no known_hosts) and reports how it ended.
    ///
    /// # Panics
    /// When `ssh` cannot be started.
    pub fn attempt(
        &self,
        server: &ServerProcess,
        user: &str,
        identity: &Path,
        certificate: Option<&Path>,
    ) -> LoginAttempt {
        let mut cmd = Command::new(&self.ssh);
        cmd.args(["-F", "/dev/null", "-i"]).arg(identity).args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
        ]);
        if let Some(cert) = certificate {
            cmd.arg("-o")
                .arg(format!("CertificateFile={}", cert.display()));
        }
        cmd.arg("-p")
            .arg(server.port().to_string())
            .arg(format!("{user}@127.0.0.1"))
            .arg("true");
        let out = match exec::output(&mut cmd) {
            Ok(out) => out,
            Err(e) => panic!("ssh: {e}"),
        };
        LoginAttempt {
            status: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
