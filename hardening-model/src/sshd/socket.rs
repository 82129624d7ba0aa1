//! The socket-activation fix for the SSH port on Ubuntu 24.04.
//!
//! Ubuntu 22.10 and later start sshd from `ssh.socket`: systemd, not sshd, owns the listening
//! socket. Writing `Port N` into `sshd_config` and running `systemctl restart sshd` (as the
//! runbook does) leaves the socket on port 22 while ufw and the cloud firewall only open `N`:
//! the host is locked out at the next connection. The port therefore goes into an
//! `ssh.socket` drop-in as well, and is applied with `daemon-reload` and a restart of the
//! socket, after `sshd -t` has accepted the new configuration.
//!
//! Ubuntu 24.04 also ships a generator that derives `ListenStream=` from `sshd_config` into
//! `/run/systemd/generator/ssh.socket.d/addresses.conf`. Drop-ins are applied in file-name
//! order across directories, so `listen.conf` comes after `addresses.conf`; its empty
//! `ListenStream=` first clears whatever the generator (or the packaged unit) set, so the
//! socket listens on exactly the one port, whichever way the host got there.

use crate::RenderedFile;
use crate::command::HostCommand;
use crate::values::Port;

/// Path of the `ssh.socket` drop-in.
pub const SOCKET_DROPIN_PATH: &str = "/etc/systemd/system/ssh.socket.d/listen.conf";

/// The `ssh.socket` listener for one port, on IPv4 and IPv6.
///
/// ```
/// use hardening_model::sshd::SshSocket;
/// use hardening_model::values::Port;
///
/// let socket = SshSocket::new(Port::new(22222).unwrap());
/// let dropin = socket.dropin();
/// assert!(dropin.content.contains("ListenStream=\nListenStream=0.0.0.0:22222\nListenStream=[::]:22222\n"));
/// let steps: Vec<String> = socket.apply_steps().iter().map(|s| s.shell_line()).collect();
/// assert_eq!(steps[0], "sshd -t");
/// assert_eq!(steps[1], "systemctl daemon-reload");
/// assert_eq!(steps[2], "systemctl restart ssh.socket");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SshSocket {
    port: Port,
}

impl SshSocket {
    /// The listener for `port`.
    pub fn new(port: Port) -> Self {
        Self { port }
    }

    /// The port.
    pub fn port(&self) -> Port {
        self.port
    }

    /// `/etc/systemd/system/ssh.socket.d/listen.conf` (mode 0644).
    ///
    /// `BindIPv6Only=ipv6-only` keeps the `[::]` socket from also claiming IPv4, which would
    /// collide with the explicit `0.0.0.0` socket. A kernel booted with `ipv6.disable=1`
    /// cannot open the `[::]` socket at all; such hosts are not supported by this drop-in.
    pub fn dropin(&self) -> RenderedFile {
        let p = self.port;
        RenderedFile::root(
            SOCKET_DROPIN_PATH,
            0o644,
            format!(
                "# Rendered by hardening-model: the SSH port on a socket-activated sshd.\n\
                 # The empty ListenStream= clears the packaged port 22 and the generator's list.\n\
                 [Socket]\n\
                 ListenStream=\n\
                 ListenStream=0.0.0.0:{p}\n\
                 ListenStream=[::]:{p}\n\
                 BindIPv6Only=ipv6-only\n"
            ),
        )
    }

    /// The ordered commands that apply a changed port without locking anyone out, to run after
    /// the fragment and the drop-in are written (and after the firewall opened the port).
    ///
    /// 1. `sshd -t`: refuse to go on when the new configuration is invalid, before anything
    ///    restarts;
    /// 2. `systemctl daemon-reload`: load the drop-in (and rerun Ubuntu's socket generator);
    /// 3. `systemctl restart ssh.socket`: rebind to the new port (systemd propagates the
    ///    restart to a running `ssh.service`; open sessions stay up);
    /// 4. `ss -Htln 'sport = :PORT'`: confirm something listens on the port.
    pub fn apply_steps(&self) -> Vec<HostCommand> {
        vec![
            HostCommand::new(
                ["sshd", "-t"],
                "validate the sshd configuration before anything restarts",
            ),
            HostCommand::new(
                ["systemctl", "daemon-reload"],
                "load the ssh.socket drop-in",
            ),
            HostCommand::new(
                ["systemctl", "restart", "ssh.socket"],
                "rebind the SSH listener to the configured port",
            ),
            HostCommand::new(
                [
                    "ss".to_owned(),
                    "-Htln".to_owned(),
                    format!("sport = :{}", self.port),
                ],
                "confirm the socket listens on the configured port",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropin_resets_then_listens_on_both_families() {
        let d = SshSocket::new(Port::new(2222).unwrap()).dropin();
        let listen: Vec<&str> = d
            .content
            .lines()
            .filter(|l| l.starts_with("ListenStream="))
            .collect();
        assert_eq!(
            listen,
            [
                "ListenStream=",
                "ListenStream=0.0.0.0:2222",
                "ListenStream=[::]:2222"
            ]
        );
        assert_eq!(d.path, SOCKET_DROPIN_PATH);
    }

    #[test]
    fn validation_comes_before_restart() {
        let steps = SshSocket::new(Port::new(2222).unwrap()).apply_steps();
        let pos = |needle: &str| {
            steps
                .iter()
                .position(|s| s.shell_line().contains(needle))
                .unwrap()
        };
        assert!(pos("sshd -t") < pos("daemon-reload"));
        assert!(pos("daemon-reload") < pos("restart ssh.socket"));
        assert_eq!(steps[3].shell_line(), "ss -Htln 'sport = :2222'");
        assert!(steps.iter().all(|s| !s.may_fail));
    }
}
