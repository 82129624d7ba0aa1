//! The distributions a preset renders for, and every place they differ.
//!
//! The product target is Ubuntu 24.04; Debian 13 is what the first-boot test boots (and a
//! supported host in its own right). Each difference the document depends on is a method here,
//! so nothing else in the preset branches on a distribution name.

use std::fmt;

/// The guest distribution the document is rendered for.
///
/// ```
/// use cloudinit_builder::preset::Target;
/// assert!(Target::Debian13.docker_packages().contains(&"docker-cli"));
/// assert!(!Target::Ubuntu2404.docker_packages().contains(&"docker-cli"));
/// assert_eq!(Target::Ubuntu2404.ssh_unit(), "ssh.socket");
/// assert_eq!(Target::Debian13.ssh_unit(), "ssh.service");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Target {
    /// Ubuntu 24.04 LTS (noble): cloud-init 24+, systemd 255, audit 3.1, OpenSSH 9.6 started
    /// from `ssh.socket`.
    #[default]
    Ubuntu2404,
    /// Debian 13 (trixie): cloud-init 25.1, systemd 257, audit 4.x, OpenSSH 10 started as
    /// `ssh.service`.
    Debian13,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 2] = [Target::Ubuntu2404, Target::Debian13];

    /// Docker Engine and Compose v2 from the distribution's archive. Debian splits the
    /// `docker` command into `docker-cli` (with `--no-install-recommends`, `docker.io` alone
    /// leaves no `docker` command) and names Compose v2 `docker-compose`; Ubuntu's `docker.io`
    /// carries the CLI and Compose v2 is `docker-compose-v2`.
    pub fn docker_packages(self) -> &'static [&'static str] {
        match self {
            Self::Ubuntu2404 => &["docker.io", "docker-compose-v2"],
            Self::Debian13 => &["docker.io", "docker-cli", "docker-compose"],
        }
    }

    /// The unit that owns sshd's listening socket: Ubuntu 24.04 starts sshd from `ssh.socket`
    /// (its port comes from the socket's `ListenStream=`); Debian 13 runs `ssh.service`, which
    /// listens on sshd's own `Port`.
    pub fn ssh_unit(self) -> &'static str {
        match self {
            Self::Ubuntu2404 => "ssh.socket",
            Self::Debian13 => "ssh.service",
        }
    }

    /// The NTP pool chrony falls back to after Hetzner's servers: the distribution's own.
    pub fn ntp_pool(self) -> &'static str {
        match self {
            Self::Ubuntu2404 => "ntp.ubuntu.com",
            Self::Debian13 => "2.debian.pool.ntp.org",
        }
    }

    /// The major version of the audit userspace (`auditctl`, `augenrules`): 3 on Ubuntu
    /// 24.04, 4 on Debian 13. The rules the preset renders load on both; `augenrules --load`
    /// refuses a whole rule file on one watch of a missing path on both, which is why the
    /// rules watch only paths that exist before Docker is installed.
    pub fn audit_major(self) -> u8 {
        match self {
            Self::Ubuntu2404 => 3,
            Self::Debian13 => 4,
        }
    }
}

impl Target {
    /// The unit that loads the audit rules, when it is not `auditd.service` itself: audit 4.x
    /// (Debian 13) loads them in `audit-rules.service`; audit 3.x (Ubuntu 24.04) from
    /// `auditd.service`.
    pub fn audit_rules_unit(self) -> Option<&'static str> {
        match self {
            Self::Ubuntu2404 => None,
            Self::Debian13 => Some("audit-rules.service"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ubuntu2404 => "ubuntu-24.04",
            Self::Debian13 => "debian-13",
        })
    }
}
