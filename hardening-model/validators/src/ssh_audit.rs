//! ssh-audit (PyPI 3.x) against a real sshd started on 127.0.0.1 with a given config.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::exec::{self, Workdir};
use crate::locate::{is_root, require, skip, workspace_root};
use crate::{Rejection, Sshd};

const HINT: &str = "bash .ci/install-validators installs pip ssh-audit==3.9.0 into .ci/venv";
const STARTUP: Duration = Duration::from_secs(10);

/// ssh-audit plus an sshd to run it against.
#[derive(Debug)]
pub struct SshAudit {
    sshd: Sshd,
    ssh_audit: PathBuf,
}

/// Finds `ssh-audit` (pip 3.x, usually in `.ci/venv/bin`) and `sshd`; `None` (after printing
/// why) when either is missing. Starting sshd needs root, so other users skip.
///
/// # Panics
/// When `CI` is set and a tool is missing or the tests are not run as root.
pub fn ssh_audit() -> Option<SshAudit> {
    let ssh_audit = require("ssh-audit", HINT)?;
    let sshd = crate::sshd()?;
    if !is_root() {
        return skip(
            "ssh-audit: starting a real sshd needs root",
            "run the tests as root",
        );
    }
    Some(SshAudit { sshd, ssh_audit })
}

/// The project's ssh-audit policy: the Ubuntu 24.04 hardened algorithm lists, allowing any
/// subset in any order (`allow_algorithm_subset_and_reordering = true`).
pub fn project_ssh_audit_policy() -> PathBuf {
    workspace_root()
        .join("hardening-model")
        .join("validators")
        .join("policies")
        .join("ssh-audit-policy-ubuntu-24.04-subset.txt")
}

/// Kills the server when the audit is over, whatever happened.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // The child may already have exited; either way reap it.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl SshAudit {
    /// Starts `sshd -D -e -f CONFIG -h KEY -o ListenAddress=127.0.0.1 -p PORT` on a free
    /// loopback port, waits until it accepts connections, then runs
    /// `ssh-audit -P POLICY 127.0.0.1:PORT`.
    ///
    /// Ok(report) when the server passes the policy (exit status 0); a [`Rejection`] with the
    /// report when it fails (exit status 3), cannot be reached (1), or sshd does not start
    /// (its log is in `stderr`). The server is killed before this returns.
    ///
    /// `sshd_config` is a complete config or a standalone fragment, as for [`Sshd::check`];
    /// its `Port` is overridden by `-p`.
    pub fn audit(&self, sshd_config: &str, policy: &Path) -> Result<String, Rejection> {
        self.sshd.check(sshd_config)?;
        let dir = Workdir::new("ssh-audit")?;
        let config = dir.write("sshd_config", sshd_config)?;
        let log_path = dir.path().join("sshd.log");
        let port = free_port().map_err(|e| Rejection::setup("sshd", format!("free port: {e}")))?;

        let mut cmd = Command::new(self.sshd.binary());
        cmd.arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .arg("-h")
            .arg(self.sshd.host_key())
            .args(["-o", "ListenAddress=127.0.0.1", "-p"])
            .arg(port.to_string());
        let line = exec::describe(&cmd);
        let log = File::create(&log_path).map_err(|e| Rejection::setup(&line, e))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| Rejection::setup(&line, e))?;
        let mut server = Server(child);
        wait_until_listening(&mut server, port).map_err(|status| Rejection {
            command: line.clone(),
            status,
            stdout: String::new(),
            stderr: std::fs::read_to_string(&log_path).unwrap_or_default(),
        })?;

        let out = exec::run(
            Command::new(&self.ssh_audit)
                .arg("-P")
                .arg(policy)
                .arg(format!("127.0.0.1:{port}")),
        );
        drop(server);
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .map_err(|mut rejection| {
                if let Ok(log) = std::fs::read_to_string(&log_path) {
                    rejection.stderr.push_str("\n--- sshd log ---\n");
                    rejection.stderr.push_str(&log);
                }
                rejection
            })
    }
}

pub(crate) fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Polls the port until sshd accepts; `Err(exit status)` when it exits or never listens.
fn wait_until_listening(server: &mut Server, port: u16) -> Result<(), Option<i32>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.0.try_wait() {
            return Err(status.code());
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(None)
}
