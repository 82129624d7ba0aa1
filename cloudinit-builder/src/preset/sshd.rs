//! sshd: validated before it is applied, and moved to its port through `ssh.socket`.
//!
//! cloud-init writes files before sshd first runs, so an sshd fragment written straight to
//! `/etc/ssh/sshd_config.d` would be live before anything checked it, and a mistake would lock
//! every admin out. The part therefore stages every file under [`STAGING_DIR`]; in
//! [`Stage::Ssh`] a script installs the sshd files, runs `sshd -t`, and only when sshd accepts
//! them installs the `ssh.socket` drop-in, reloads systemd and restarts `ssh.socket` (Ubuntu
//! 24.04 starts sshd from the socket, so `Port` plus `systemctl restart sshd` left it on 22:
//! erratum 2). On rejection the sshd files are removed, the failure is logged at `auth.crit` and
//! recorded in [`FAILED_MARKER`](super::FAILED_MARKER), which stops the ready callback. Host keys
//! other than Ed25519 are removed after the switch (cloud-init generates Ed25519 only).

use hardening_model::RenderedFile;
use hardening_model::values::Port;

use super::{Contribution, FAILED_MARKER, Part, Slot, Stage};
use crate::command::quote;
use crate::{Command, Result, WriteFile};

/// Where the part stages files before validation.
pub const STAGING_DIR: &str = "/var/lib/hardened-host/staged";
/// The script that validates and applies them.
pub const SSHD_APPLY_SCRIPT: &str = "/usr/local/sbin/hardened-sshd-apply";

/// sshd configuration files and the `ssh.socket` drop-in, applied only after `sshd -t`.
#[derive(Debug, Clone)]
pub struct Sshd {
    config: Vec<RenderedFile>,
    socket: Vec<RenderedFile>,
    direct: Vec<RenderedFile>,
    port: Option<Port>,
}

impl Sshd {
    /// `config`: the `sshd_config.d` fragment and the files it names (CA keys, principals);
    /// `socket`: the `ssh.socket.d` drop-in carrying the port.
    pub fn new(
        config: impl IntoIterator<Item = RenderedFile>,
        socket: impl IntoIterator<Item = RenderedFile>,
    ) -> Self {
        Self {
            config: config.into_iter().collect(),
            socket: socket.into_iter().collect(),
            direct: Vec::new(),
            port: None,
        }
    }

    /// Files that sshd reads but that cannot break it (the pre-login banner), written directly.
    #[must_use]
    pub fn with_files(mut self, files: impl IntoIterator<Item = RenderedFile>) -> Self {
        self.direct.extend(files);
        self
    }

    /// After the restart, confirm something listens on `port` (`ss`), or record a failure.
    #[must_use]
    pub fn confirm_port(mut self, port: Port) -> Self {
        self.port = Some(port);
        self
    }

    /// The files as they go live (unstaged paths).
    pub fn files(&self) -> impl Iterator<Item = &RenderedFile> {
        self.config.iter().chain(&self.socket)
    }

    /// The apply script.
    pub fn script(&self) -> String {
        let install = |f: &RenderedFile| {
            format!(
                "install -D -m {} {} {}\n",
                f.mode_string(),
                quote(&format!("{STAGING_DIR}{}", f.path)),
                quote(&f.path)
            )
        };
        let config: String = self.config.iter().map(install).collect();
        let socket: String = self.socket.iter().map(install).collect();
        let confirm = self
            .port
            .map(|p| {
                format!(
                    "ss -Htln 'sport = :{p}' | grep -q . || fail \"nothing listens on port {p} after the restart\"\n"
                )
            })
            .unwrap_or_default();
        let remove: String = self
            .config
            .iter()
            .map(|f| format!("  rm -f {}\n", quote(&f.path)))
            .collect();
        format!(
            "#!/bin/sh
# install the staged sshd files only if sshd -t accepts them, then move ssh.socket
set -u
fail() {{
  logger -p auth.crit -t hardened-sshd \"$1\"
  mkdir -p \"$(dirname {failed})\"
  echo \"sshd: $1\" >> {failed}
  exit 1
}}
install -d -m 0755 /run/sshd
{config}if ! sshd -t; then
{remove}  fail \"sshd rejected the hardened configuration; the image defaults stay in place\"
fi
{socket}systemctl daemon-reload || fail \"systemctl daemon-reload failed\"
systemctl restart ssh.socket || fail \"restarting ssh.socket failed\"
{confirm}rm -f /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_dsa_key /etc/ssh/ssh_host_dsa_key.pub
",
            failed = FAILED_MARKER,
        )
    }
}

impl Part for Sshd {
    fn slot(&self) -> Slot {
        Slot::Sshd
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        for f in &self.direct {
            out.file(WriteFile::from(f.clone()));
        }
        for f in self.files() {
            let mut staged = f.clone();
            staged.path = format!("{STAGING_DIR}{}", f.path);
            out.file(WriteFile::from(staged));
        }
        out.file(WriteFile::new(SSHD_APPLY_SCRIPT, self.script())?.permissions(0o700)?);
        out.command(Stage::Ssh, Command::argv([SSHD_APPLY_SCRIPT])?);
        Ok(())
    }
}
