//! Seccomp profiles in Docker's JSON format (runbook 5.8, erratum 12).
//!
//! [`SeccompProfile::docker_default_x86_64`] reproduces the semantics of Docker's default
//! profile for an x86_64 container without `CAP_SYS_ADMIN`: the same unconditional allow
//! list (restricted to syscalls native to x86_64), `socket` limited to Docker's address
//! families, `personality` limited to Docker's values, `clone` allowed only without namespace
//! flags, and `clone3` answered with `ENOSYS` so that libc falls back to the filterable `clone`.
//! A custom profile is derived from it by removing syscalls ([`SeccompProfile::without`]),
//! never by writing a fresh allowlist (which is how the runbook lost `chmod`, `fork`,
//! `fchdir`, `close_range`, `msync`, `semctl` and the xattr calls).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

mod x86_64;
pub use x86_64::DOCKER_DEFAULT_X86_64;

/// Address families Docker's default profile lets `socket` create (everything but the
/// rarely needed or risky ones such as `AF_VSOCK` = 40 and `AF_PACKET`-era gaps).
pub const DOCKER_SOCKET_FAMILIES: &[u64] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 21, 22, 24, 26, 27, 28, 29, 30,
    31, 32, 33, 35, 36, 39, 41, 42, 43, 44, 45,
];

/// `personality` values Docker allows: `PER_LINUX`, `UNAME26`, `ADDR_NO_RANDOMIZE`, both, and
/// the query value `0xffffffff`.
pub const DOCKER_PERSONALITIES: &[u64] = &[0, 8, 131_072, 131_080, 4_294_967_295];

/// Namespace flags `clone` may not carry without `CAP_SYS_ADMIN` (`CLONE_NEWNS | CLONE_NEWUTS
/// | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP`).
pub const CLONE_NAMESPACE_FLAGS: u64 = 0x7E02_0000;

/// `ENOSYS`, returned for `clone3` so callers fall back to `clone`.
pub const ENOSYS: u16 = 38;

/// `EPERM`, the default answer for syscalls not allowed.
pub const EPERM: u16 = 1;

/// A syscall name: `[a-z_][a-z0-9_]*`, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SyscallName(String);

impl SyscallName {
    /// Validates the name's shape (whether the kernel knows it is checked in tests with
    /// `scmp_sys_resolver`, because runc silently ignores unknown names).
    pub fn new(name: &str) -> Result<Self> {
        let field = "seccomp.syscall";
        check_non_empty(field, name)?;
        check_max_len(field, name, 64)?;
        check_chars(field, name, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
        })?;
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Error::invalid(field, "must not start with a digit"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What happens when a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `SCMP_ACT_ALLOW`.
    Allow,
    /// `SCMP_ACT_ERRNO` with the given errno.
    Errno(u16),
    /// `SCMP_ACT_LOG`: allow and log (for profiling a workload).
    Log,
    /// `SCMP_ACT_KILL_PROCESS`.
    KillProcess,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Allow => "SCMP_ACT_ALLOW",
            Self::Errno(_) => "SCMP_ACT_ERRNO",
            Self::Log => "SCMP_ACT_LOG",
            Self::KillProcess => "SCMP_ACT_KILL_PROCESS",
        }
    }
}

/// How an argument is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgOp {
    /// `SCMP_CMP_EQ`.
    Eq,
    /// `SCMP_CMP_NE`.
    Ne,
    /// `SCMP_CMP_LT`.
    Lt,
    /// `SCMP_CMP_MASKED_EQ`: `(arg & value) == value_two`.
    MaskedEq,
}

impl ArgOp {
    fn name(self) -> &'static str {
        match self {
            Self::Eq => "SCMP_CMP_EQ",
            Self::Ne => "SCMP_CMP_NE",
            Self::Lt => "SCMP_CMP_LT",
            Self::MaskedEq => "SCMP_CMP_MASKED_EQ",
        }
    }
}

/// A condition on one syscall argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgFilter {
    index: u8,
    value: u64,
    value_two: u64,
    op: ArgOp,
}

impl ArgFilter {
    /// `arg[index] op value` (for [`ArgOp::MaskedEq`], `arg & value == value_two`).
    pub fn new(index: u8, op: ArgOp, value: u64, value_two: u64) -> Result<Self> {
        if index > 5 {
            return Err(Error::new(
                "seccomp.args.index",
                Problem::OutOfRange {
                    min: 0,
                    max: 5,
                    value: i64::from(index),
                },
            ));
        }
        Ok(Self {
            index,
            value,
            value_two,
            op,
        })
    }
}

/// One rule: a set of syscalls, an action and optional argument conditions (all must hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallRule {
    names: Vec<SyscallName>,
    action: Action,
    args: Vec<ArgFilter>,
}

impl SyscallRule {
    /// A rule for `names`.
    pub fn new(names: &[&str], action: Action) -> Result<Self> {
        if names.is_empty() {
            return Err(Error::new("seccomp.syscalls.names", Problem::Empty));
        }
        let names = names
            .iter()
            .map(|n| SyscallName::new(n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            names,
            action,
            args: Vec::new(),
        })
    }

    /// Adds an argument condition.
    #[must_use]
    pub fn with_arg(mut self, arg: ArgFilter) -> Self {
        self.args.push(arg);
        self
    }

    /// The syscalls the rule covers.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(SyscallName::as_str)
    }

    /// The rule's action.
    pub fn action(&self) -> Action {
        self.action
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArgJson {
    index: u8,
    value: u64,
    value_two: u64,
    op: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson<'a> {
    names: &'a [SyscallName],
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errno_ret: Option<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<ArgJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileJson<'a> {
    default_action: &'static str,
    default_errno_ret: u16,
    architectures: Vec<&'static str>,
    syscalls: Vec<RuleJson<'a>>,
}

/// A seccomp profile for `security_opt: seccomp=<path>`.
///
/// Only `SCMP_ARCH_X86_64` is listed: 32-bit (x86, x32) system calls are refused outright,
/// which Docker's default allows through its arch map.
///
/// ```
/// use hardening_model::docker::SeccompProfile;
/// let p = SeccompProfile::docker_default_x86_64().without(&["mknod"]).unwrap();
/// assert!(p.allows("chmod") && p.allows("fork") && !p.allows("mknod"));
/// let json: serde_json::Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
/// assert_eq!(json["defaultAction"], "SCMP_ACT_ERRNO");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeccompProfile {
    default_errno: u16,
    rules: Vec<SyscallRule>,
}

impl SeccompProfile {
    /// An empty profile: every syscall fails with `EPERM`.
    pub fn deny_all() -> Self {
        Self {
            default_errno: EPERM,
            rules: Vec::new(),
        }
    }

    /// Docker's default profile semantics for x86_64 without `CAP_SYS_ADMIN` (module docs).
    pub fn docker_default_x86_64() -> Self {
        let mut rules = Vec::new();
        let mut push = |r: Result<SyscallRule>| {
            // Every literal below is a valid syscall name; a failure would drop the rule,
            // which the unit tests would notice.
            if let Ok(r) = r {
                rules.push(r);
            }
        };
        push(SyscallRule::new(DOCKER_DEFAULT_X86_64, Action::Allow));
        for family in DOCKER_SOCKET_FAMILIES {
            push(socket_rule(*family));
        }
        for value in DOCKER_PERSONALITIES {
            push(
                SyscallRule::new(&["personality"], Action::Allow)
                    .and_then(|r| Ok(r.with_arg(ArgFilter::new(0, ArgOp::Eq, *value, 0)?))),
            );
        }
        push(SyscallRule::new(&["clone"], Action::Allow).and_then(|r| {
            Ok(r.with_arg(ArgFilter::new(
                0,
                ArgOp::MaskedEq,
                CLONE_NAMESPACE_FLAGS,
                0,
            )?))
        }));
        push(SyscallRule::new(&["clone3"], Action::Errno(ENOSYS)));
        Self {
            default_errno: EPERM,
            rules,
        }
    }

    /// Adds a rule.
    #[must_use]
    pub fn with_rule(mut self, rule: SyscallRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Removes `names` from every allowing rule (rules left empty disappear). Removing a
    /// name the profile does not allow is an error, so typos do not pass silently.
    pub fn without(mut self, names: &[&str]) -> Result<Self> {
        for name in names {
            let name = SyscallName::new(name)?;
            let mut found = false;
            for rule in self.rules.iter_mut().filter(|r| r.action == Action::Allow) {
                let before = rule.names.len();
                rule.names.retain(|n| *n != name);
                found |= rule.names.len() != before;
            }
            if !found {
                return Err(Error::invalid(
                    format!("seccomp.without.{}", name.as_str()),
                    "the profile does not allow this syscall",
                ));
            }
        }
        self.rules.retain(|r| !r.names.is_empty());
        Ok(self)
    }

    /// Keeps only the `socket` rules for the given address families (e.g. `[1, 2, 10, 16]`
    /// for unix, inet, inet6 and netlink).
    pub fn with_socket_families(mut self, families: &[u64]) -> Result<Self> {
        if families.is_empty() {
            return Err(Error::new("seccomp.socket_families", Problem::Empty));
        }
        self.rules
            .retain(|r| !r.names.iter().any(|n| n.as_str() == "socket"));
        for f in families {
            self.rules.push(socket_rule(*f)?);
        }
        Ok(self)
    }

    /// True when some rule allows `name` (possibly with argument conditions).
    pub fn allows(&self, name: &str) -> bool {
        self.rules
            .iter()
            .any(|r| r.action == Action::Allow && r.names.iter().any(|n| n.as_str() == name))
    }

    /// Every syscall name the profile mentions, sorted and deduplicated.
    pub fn syscall_names(&self) -> BTreeSet<&str> {
        self.rules.iter().flat_map(SyscallRule::names).collect()
    }

    /// The rules.
    pub fn rules(&self) -> &[SyscallRule] {
        &self.rules
    }

    /// The profile in Docker's JSON format.
    pub fn to_json(&self) -> Result<String> {
        if self.rules.is_empty() {
            return Err(Error::new("seccomp.syscalls", Problem::Empty));
        }
        let json = ProfileJson {
            default_action: "SCMP_ACT_ERRNO",
            default_errno_ret: self.default_errno,
            architectures: vec!["SCMP_ARCH_X86_64"],
            syscalls: self
                .rules
                .iter()
                .map(|r| RuleJson {
                    names: &r.names,
                    action: r.action.name(),
                    errno_ret: match r.action {
                        Action::Errno(e) => Some(e),
                        _ => None,
                    },
                    args: r
                        .args
                        .iter()
                        .map(|a| ArgJson {
                            index: a.index,
                            value: a.value,
                            value_two: a.value_two,
                            op: a.op.name(),
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&json)
            .map_err(|e| Error::invalid("seccomp", format!("JSON serialisation failed: {e}")))?;
        text.push('\n');
        Ok(text)
    }

    /// The profile as a root-owned 0644 file at `path` (the path the compose service's
    /// `seccomp=` option names).
    pub fn render(&self, path: &AbsPath) -> Result<RenderedFile> {
        Ok(RenderedFile::root(path.as_str(), 0o644, self.to_json()?))
    }
}

fn socket_rule(family: u64) -> Result<SyscallRule> {
    Ok(
        SyscallRule::new(&["socket"], Action::Allow)?.with_arg(ArgFilter::new(
            0,
            ArgOp::Eq,
            family,
            0,
        )?),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keeps_docker_semantics() {
        let p = SeccompProfile::docker_default_x86_64();
        for needed in [
            "chmod",
            "fork",
            "fchdir",
            "close_range",
            "msync",
            "semctl",
            "getxattr",
            "setxattr",
        ] {
            assert!(p.allows(needed), "{needed} must be allowed");
        }
        for denied in [
            "ptrace",
            "mount",
            "unshare",
            "setns",
            "kexec_load",
            "init_module",
            "bpf",
        ] {
            assert!(!p.allows(denied), "{denied} must not be allowed");
        }
        let clone = p.rules().iter().find(|r| r.names().eq(["clone"])).unwrap();
        assert_eq!(clone.args[0].op, ArgOp::MaskedEq);
        assert_eq!(clone.args[0].value, CLONE_NAMESPACE_FLAGS);
        let clone3 = p.rules().iter().find(|r| r.names().eq(["clone3"])).unwrap();
        assert_eq!(clone3.action(), Action::Errno(ENOSYS));
        assert!(
            !p.rules()
                .iter()
                .any(|r| r.names().any(|n| n == "socket") && r.args.is_empty())
        );
        assert!(!p.rules().iter().any(|r| {
            r.args
                .iter()
                .any(|a| a.value == 40 && r.names().eq(["socket"]))
        }));
    }

    #[test]
    fn without_rejects_unknown_and_removes_known() {
        let p = SeccompProfile::docker_default_x86_64();
        assert_eq!(
            p.clone()
                .without(&["not_allowed_here"])
                .unwrap_err()
                .field(),
            "seccomp.without.not_allowed_here"
        );
        let p = p.without(&["io_uring_setup"]);
        assert!(p.is_err());
        let p = SeccompProfile::docker_default_x86_64()
            .without(&["mknod", "mknodat"])
            .unwrap();
        assert!(!p.allows("mknod") && !p.allows("mknodat"));
    }

    #[test]
    fn json_shape() {
        let p = SeccompProfile::docker_default_x86_64()
            .with_socket_families(&[1, 2, 10])
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
        assert_eq!(v["defaultErrnoRet"], 1);
        assert_eq!(v["architectures"][0], "SCMP_ARCH_X86_64");
        let sockets: Vec<_> = v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["names"][0] == "socket")
            .map(|r| r["args"][0]["value"].as_u64().unwrap())
            .collect();
        assert_eq!(sockets, [1, 2, 10]);
        assert!(SeccompProfile::deny_all().to_json().is_err());
        assert!(SyscallName::new("open\"}").is_err());
    }
}
