//! AppArmor profiles for containers (runbook 2.3, erratum 11).
//!
//! The runbook's `docker-openclaw` profile had no `signal` rules (so `docker stop` falls back
//! to SIGKILL on Ubuntu 23.10+, where runc is confined as `runc`), no `capability` rules and
//! only allowed writes outside the path the data volume is mounted at. This model keeps the
//! structure of Docker's `docker-default` template (signals from `unconfined`, `runc`, `crun`
//! and among the container's own processes; `/proc` and `/sys` write denials; no mounts) and
//! derives its writable paths from the compose service's volumes and tmpfs mounts.

use std::collections::BTreeSet;

use super::names::Capability;
use super::service::{Mount, Service};
use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, RenderedFile, Result};

/// Directory AppArmor loads profiles from.
pub const APPARMOR_DIR: &str = "/etc/apparmor.d";

/// Checks a profile name: `[a-z0-9][a-z0-9_.-]*`, at most 64 characters.
pub fn check_profile_name(name: &str) -> Result<()> {
    let field = "apparmor.name";
    check_non_empty(field, name)?;
    check_max_len(field, name, 64)?;
    check_chars(field, name, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
    })?;
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(field, "must start with a letter or digit"));
    }
    Ok(())
}

/// Checks that a path is safe inside an AppArmor rule: letters, digits, `/._-` only (no
/// globbing, variables or quotes).
fn check_rule_path(field: &str, path: &AbsPath) -> Result<()> {
    check_chars(field, path.as_str(), |c| {
        c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-')
    })
}

/// Network access the profile grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetworkRule {
    /// `network inet tcp,`
    InetTcp,
    /// `network inet udp,`
    InetUdp,
    /// `network inet6 tcp,`
    Inet6Tcp,
    /// `network inet6 udp,`
    Inet6Udp,
    /// `network unix,` (local sockets)
    Unix,
    /// `network netlink raw,` (interface enumeration)
    NetlinkRaw,
}

impl NetworkRule {
    fn render(self) -> &'static str {
        match self {
            Self::InetTcp => "network inet tcp,",
            Self::InetUdp => "network inet udp,",
            Self::Inet6Tcp => "network inet6 tcp,",
            Self::Inet6Udp => "network inet6 udp,",
            Self::Unix => "network unix,",
            Self::NetlinkRaw => "network netlink raw,",
        }
    }
}

/// An AppArmor profile for one container.
///
/// ```
/// use hardening_model::docker::AppArmorProfile;
/// use hardening_model::values::AbsPath;
/// let p = AppArmorProfile::new("docker-app")
///     .unwrap()
///     .with_writable(AbsPath::new("/app/data").unwrap())
///     .unwrap();
/// let text = p.render_text();
/// assert!(text.contains("signal (receive) peer=runc,"));
/// assert!(text.contains("/app/data/** rwlk,"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppArmorProfile {
    name: String,
    network: BTreeSet<NetworkRule>,
    capabilities: BTreeSet<Capability>,
    writable: BTreeSet<AbsPath>,
    executable: BTreeSet<AbsPath>,
}

impl AppArmorProfile {
    /// A profile granting TCP/UDP over IPv4 and IPv6, unix sockets, read access to the
    /// filesystem, execution from the usual binary and library directories, no capabilities
    /// and no writes.
    pub fn new(name: &str) -> Result<Self> {
        check_profile_name(name)?;
        let executable = ["/bin", "/sbin", "/usr", "/lib", "/lib64", "/opt"]
            .iter()
            .filter_map(|p| AbsPath::new(*p).ok())
            .collect();
        Ok(Self {
            name: name.to_owned(),
            network: [
                NetworkRule::InetTcp,
                NetworkRule::InetUdp,
                NetworkRule::Inet6Tcp,
                NetworkRule::Inet6Udp,
                NetworkRule::Unix,
            ]
            .into_iter()
            .collect(),
            capabilities: BTreeSet::new(),
            writable: BTreeSet::new(),
            executable,
        })
    }

    /// A profile for `service`: its name, the capabilities it adds back, and a writable path
    /// for every read-write volume and tmpfs mount.
    pub fn for_service(name: &str, service: &Service) -> Result<Self> {
        let mut p = Self::new(name)?;
        for cap in service.capabilities() {
            p.capabilities.insert(cap);
        }
        for mount in service.volumes().iter().filter(|m| !Mount::read_only(m)) {
            p = p.with_writable(mount.target().clone())?;
        }
        for t in service.tmpfs() {
            p = p.with_writable(t.target.clone())?;
        }
        Ok(p)
    }

    /// The profile name (`security_opt: apparmor=<name>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Allows writes below `path`.
    pub fn with_writable(mut self, path: AbsPath) -> Result<Self> {
        check_rule_path("apparmor.writable", &path)?;
        if path.as_str() == "/" {
            return Err(Error::invalid(
                "apparmor.writable",
                "the whole filesystem cannot be writable",
            ));
        }
        self.writable.insert(path);
        Ok(self)
    }

    /// Allows executing (and mapping) files below `path`.
    pub fn with_executable(mut self, path: AbsPath) -> Result<Self> {
        check_rule_path("apparmor.executable", &path)?;
        self.executable.insert(path);
        Ok(self)
    }

    /// Grants a capability.
    #[must_use]
    pub fn with_capability(mut self, cap: Capability) -> Self {
        self.capabilities.insert(cap);
        self
    }

    /// Replaces the network rules.
    #[must_use]
    pub fn with_network(mut self, rules: &[NetworkRule]) -> Self {
        self.network = rules.iter().copied().collect();
        self
    }

    /// Writable paths.
    pub fn writable(&self) -> impl Iterator<Item = &AbsPath> {
        self.writable.iter()
    }

    /// The profile text.
    pub fn render_text(&self) -> String {
        let n = &self.name;
        let mut out = String::new();
        out.push_str(
            "# Container profile; load with apparmor_parser -r -W before starting the service.\n",
        );
        out.push_str("abi <abi/3.0>,\n\n#include <tunables/global>\n\n");
        out.push_str(&format!(
            "profile {n} flags=(attach_disconnected,mediate_deleted) {{\n"
        ));
        out.push_str("  #include <abstractions/base>\n\n");
        for rule in &self.network {
            out.push_str(&format!("  {}\n", rule.render()));
        }
        out.push('\n');
        for cap in &self.capabilities {
            out.push_str(&format!("  capability {},\n", cap.apparmor_name()));
        }
        out.push_str(
            "\n  # docker stop / docker kill, and signals among the container's processes\n",
        );
        for peer in ["unconfined", "runc", "crun"] {
            out.push_str(&format!("  signal (receive) peer={peer},\n"));
        }
        out.push_str(&format!("  signal (send,receive) peer={n},\n\n"));
        out.push_str("  # read everywhere, execute only from binary and library directories\n");
        out.push_str("  /** r,\n");
        for p in &self.executable {
            out.push_str(&format!(
                "  {}/** mrix,\n",
                p.as_str().trim_end_matches('/')
            ));
        }
        out.push_str(
            "\n  # writable: the service's read-write volumes and tmpfs mounts (no exec)\n",
        );
        for p in &self.writable {
            let p = p.as_str();
            out.push_str(&format!("  {p}/ rw,\n  {p}/** rwlk,\n  deny {p}/** x,\n"));
        }
        out.push_str(
            "  /dev/null rw,\n  /dev/zero r,\n  /dev/full rw,\n  /dev/random r,\n  /dev/urandom r,\n  /dev/tty rw,\n  /dev/pts/* rw,\n  /dev/shm/** rwk,\n",
        );
        out.push_str(
            "\n  deny @{PROC}/* w,\n  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** w,\n  deny @{PROC}/sys/[^k]** w,\n  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,\n  deny @{PROC}/sysrq-trigger rwklx,\n  deny @{PROC}/kcore rwklx,\n  deny /sys/[^f]*/** wklx,\n  deny /sys/f[^s]*/** wklx,\n  deny /sys/fs/[^c]*/** wklx,\n  deny /sys/fs/c[^g]*/** wklx,\n  deny /sys/fs/cg[^r]*/** wklx,\n  deny /sys/firmware/** rwklx,\n  deny /sys/kernel/security/** rwklx,\n  deny /etc/shadow r,\n  deny /etc/gshadow r,\n  deny /root/** rwklx,\n\n  deny mount,\n  deny umount,\n  deny pivot_root,\n",
        );
        out.push_str(&format!(
            "  ptrace (trace,read,tracedby,readby) peer={n},\n}}\n"
        ));
        out
    }

    /// The profile as `/etc/apparmor.d/<name>` (root, 0644).
    pub fn render(&self) -> RenderedFile {
        RenderedFile::root(
            format!("{APPARMOR_DIR}/{}", self.name),
            0o644,
            self.render_text(),
        )
    }
}
