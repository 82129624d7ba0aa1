//! sshd: hardened before it first listens, validated, and moved to its port.
//!
//! cloud-init writes files in its init stage, which systemd orders before `ssh.service`
//! (Debian) and before any connection `ssh.socket` (Ubuntu 24.04) hands to sshd, so the
//! hardened fragment is written straight to `/etc/ssh/sshd_config.d`: sshd never serves a
//! connection with the distribution's defaults (the early firewall, loaded by `bootcmd`,
//! admits only the configured port meanwhile). In [`Stage::Ssh`] a script runs `sshd -t`; if
//! sshd rejects the files they are removed (the image defaults come back, rather than no sshd
//! at all), the failure is logged at `auth.crit` and recorded in
//! [`FAILED_MARKER`](super::FAILED_MARKER), which makes the ready callback report `failed`.
//! Otherwise it reloads systemd and restarts the unit that owns the listening socket
//! ([`Target::ssh_unit`](super::Target::ssh_unit): `ssh.socket` on Ubuntu 24.04, whose
//! `Port` plus `systemctl restart sshd` left it on 22, erratum 2; `ssh.service` on Debian 13).
//! Host keys other than Ed25519 are removed after the switch (cloud-init generates Ed25519
//! only).

use hardening_model::RenderedFile;
use hardening_model::values::Port;

use super::{Contribution, FAILED_MARKER, Part, Slot, Stage, Target};
use crate::command::quote;
use crate::{Command, Result, WriteFile};

/// The script that validates and applies them.
pub const SSHD_APPLY_SCRIPT: &str = "/usr/local/sbin/hardened-sshd-apply";

/// sshd configuration files and the `ssh.socket` drop-in, applied only after `sshd -t`.
#[derive(Debug, Clone)]
pub struct Sshd {
    config: Vec<RenderedFile>,
    socket: Vec<RenderedFile>,
    direct: Vec<RenderedFile>,
    port: Option<Port>,
    unit: &'static str,
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
            unit: Target::Ubuntu2404.ssh_unit(),
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

    /// Restarts `target`'s SSH unit ([`Target::ssh_unit`]) instead of Ubuntu 24.04's
    /// `ssh.socket`.
    #[must_use]
    pub fn for_target(mut self, target: Target) -> Self {
        self.unit = target.ssh_unit();
        self
    }

    /// The sshd files and the socket drop-in, at their live paths.
    pub fn files(&self) -> impl Iterator<Item = &RenderedFile> {
        self.config.iter().chain(&self.socket)
    }

    /// The validate-and-apply script.
    pub fn script(&self) -> String {
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
# keep the hardened sshd files only if sshd -t accepts them, then restart {unit}
set -u
fail() {{
  logger -p auth.crit -t hardened-sshd \"$1\"
  mkdir -p \"$(dirname {failed})\"
  echo \"sshd: $1\" >> {failed}
  exit 1
}}
install -d -m 0755 /run/sshd
if ! sshd -t; then
{remove}  systemctl restart {unit}
  fail \"sshd rejected the hardened configuration; the image defaults are back in place\"
fi
systemctl daemon-reload || fail \"systemctl daemon-reload failed\"
systemctl restart {unit} || fail \"restarting {unit} failed\"
{confirm}rm -f /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_dsa_key /etc/ssh/ssh_host_dsa_key.pub
",
            failed = FAILED_MARKER,
            unit = self.unit,
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
            out.file(WriteFile::from(f.clone()));
        }
        out.file(WriteFile::new(SSHD_APPLY_SCRIPT, self.script())?.permissions(0o700)?);
        out.command(Stage::Ssh, Command::argv([SSHD_APPLY_SCRIPT])?);
        Ok(())
    }
}
