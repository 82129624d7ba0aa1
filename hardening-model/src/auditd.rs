//! auditd rules (runbook 2.5), rendered to `/etc/audit/rules.d/hardening.rules`.
//!
//! Fixes over the runbook:
//! - every syscall rule is rendered as an `arch=b64` / `arch=b32` pair, so 32-bit syscalls
//!   cannot bypass it (CIS 6.2.3.x pairs them);
//! - module loading is audited by the `init_module`, `finit_module` and `delete_module`
//!   syscalls and by executions of `/usr/bin/kmod`: the runbook's watches on `/sbin/insmod`
//!   watch symlinks on 24.04 and see nothing;
//! - `/etc/docker` and the other docker-bench 1.1.x paths are watched;
//! - `-e 2` (immutable until reboot) is the last line. `augenrules` also moves it last when it
//!   merges `rules.d`, and lets the last `-b`/`-f` win; `hardening.rules` sorts after Ubuntu's
//!   `audit.rules`, so its values are the ones kept.

use std::fmt;

use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Path of the rendered rules file.
pub const AUDIT_RULES_PATH: &str = "/etc/audit/rules.d/hardening.rules";

/// A rule key (`-k`): ASCII letters, digits, `_` and `-`, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditKey(String);

impl AuditKey {
    /// Validates a key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        check_non_empty("key", &key)?;
        check_max_len("key", &key, 64)?;
        check_chars("key", &key, |c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        })?;
        Ok(Self(key))
    }
}

impl fmt::Display for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Access types a watch records (`-p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perms {
    /// `r`: reads.
    pub read: bool,
    /// `w`: writes.
    pub write: bool,
    /// `x`: executions.
    pub exec: bool,
    /// `a`: attribute changes.
    pub attr: bool,
}

impl Perms {
    /// `wa`: changes only.
    pub const CHANGES: Self = Self {
        read: false,
        write: true,
        exec: false,
        attr: true,
    };
    /// `rwxa`: every access.
    pub const ALL: Self = Self {
        read: true,
        write: true,
        exec: true,
        attr: true,
    };
    /// `x`: executions only.
    pub const EXEC: Self = Self {
        read: false,
        write: false,
        exec: true,
        attr: false,
    };
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, c) in [
            (self.read, 'r'),
            (self.write, 'w'),
            (self.exec, 'x'),
            (self.attr, 'a'),
        ] {
            if on {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// A file or directory watch: `-w PATH -p PERMS -k KEY` (directories are watched recursively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// What is watched.
    pub path: AbsPath,
    /// Which accesses are recorded.
    pub perms: Perms,
    /// The key the events carry.
    pub key: AuditKey,
}

/// A field a syscall rule filters on (`-F`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    /// `auid`: the login user.
    Auid,
    /// `uid`.
    Uid,
    /// `euid`: effective user.
    Euid,
    /// `exit`: the syscall's return value, e.g. `-EACCES`.
    Exit,
    /// `path`: an executable or file path.
    Path,
    /// `perm`: access type for `path` rules (`r`, `w`, `x`, `a`).
    Perm,
}

impl FilterField {
    fn as_str(self) -> &'static str {
        match self {
            Self::Auid => "auid",
            Self::Uid => "uid",
            Self::Euid => "euid",
            Self::Exit => "exit",
            Self::Path => "path",
            Self::Perm => "perm",
        }
    }
}

/// A comparison (`=`, `!=`, `>=`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `<=`
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Ge => ">=",
            Self::Le => "<=",
        }
    }
}

/// One `-F FIELD OP VALUE` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    field: FilterField,
    op: Op,
    value: String,
}

impl Filter {
    /// Validates the value: ASCII letters, digits and `_/.-`; a `path` value must be absolute.
    ///
    /// ```
    /// use hardening_model::auditd::{Filter, FilterField, Op};
    /// assert!(Filter::new(FilterField::Auid, Op::Ne, "unset").is_ok());
    /// assert!(Filter::new(FilterField::Exit, Op::Eq, "-EACCES -k x").is_err());
    /// ```
    pub fn new(field: FilterField, op: Op, value: &str) -> Result<Self> {
        check_non_empty("filter", value)?;
        check_max_len("filter", value, 256)?;
        check_chars("filter", value, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-')
        })?;
        if field == FilterField::Path {
            AbsPath::new(value).map_err(|e| Error::new("filter", e.problem().clone()))?;
        }
        Ok(Self {
            field,
            op,
            value: value.to_owned(),
        })
    }

    /// `auid>=1000` and `auid!=unset`: actions of logged-in human users.
    pub fn human_users() -> [Self; 2] {
        [
            Self {
                field: FilterField::Auid,
                op: Op::Ge,
                value: "1000".to_owned(),
            },
            Self {
                field: FilterField::Auid,
                op: Op::Ne,
                value: "unset".to_owned(),
            },
        ]
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "-F {}{}{}",
            self.field.as_str(),
            self.op.as_str(),
            self.value
        )
    }
}

/// A syscall name: lowercase ASCII letters, digits and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Syscall(String);

impl Syscall {
    /// Validates a syscall name.
    pub fn new(name: &str) -> Result<Self> {
        check_non_empty("syscall", name)?;
        check_max_len("syscall", name, 64)?;
        check_chars("syscall", name, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
        })?;
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An `-a always,exit` rule. With syscalls it is rendered twice (`arch=b64` and `arch=b32`);
/// without, it must filter on `path` and is rendered once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallRule {
    /// Syscalls (`-S`), possibly none.
    pub syscalls: Vec<Syscall>,
    /// Filters (`-F`).
    pub filters: Vec<Filter>,
    /// The key.
    pub key: AuditKey,
}

impl SyscallRule {
    /// A rule over `syscalls` (validated names) with `filters`.
    pub fn new(syscalls: &[&str], filters: Vec<Filter>, key: &str) -> Result<Self> {
        Ok(Self {
            syscalls: syscalls
                .iter()
                .map(|s| Syscall::new(s))
                .collect::<Result<_>>()?,
            filters,
            key: AuditKey::new(key)?,
        })
    }

    fn lines(&self) -> Vec<String> {
        let filters: String = self.filters.iter().map(|f| format!(" {f}")).collect();
        if self.syscalls.is_empty() {
            return vec![format!("-a always,exit{filters} -k {}", self.key)];
        }
        let names = self
            .syscalls
            .iter()
            .map(Syscall::as_str)
            .collect::<Vec<_>>()
            .join(",");
        ["b64", "b32"]
            .iter()
            .map(|arch| {
                format!(
                    "-a always,exit -F arch={arch} -S {names}{filters} -k {}",
                    self.key
                )
            })
            .collect()
    }
}

/// What the kernel does when auditing fails (`-f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// `0`: silent.
    Silent,
    /// `1`: printk a message.
    Printk,
    /// `2`: panic the kernel.
    Panic,
}

/// The audit rules of a host.
///
/// ```
/// use hardening_model::auditd::{AuditRules, Perms, SyscallRule};
/// let rules = AuditRules::new()
///     .watch("/etc/docker", Perms::CHANGES, "docker-config").unwrap()
///     .rule(SyscallRule::new(&["init_module", "finit_module", "delete_module"], vec![], "modules").unwrap()).unwrap();
/// let text = rules.render().content;
/// assert!(text.contains("-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules\n"));
/// assert!(text.contains("-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -k modules\n"));
/// assert!(text.ends_with("-e 2\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRules {
    buffer: u32,
    failure: FailureMode,
    watches: Vec<Watch>,
    rules: Vec<SyscallRule>,
    immutable: bool,
}

impl Default for AuditRules {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditRules {
    /// No rules; buffer 8192, failure mode printk, immutable.
    pub fn new() -> Self {
        Self {
            buffer: 8192,
            failure: FailureMode::Printk,
            watches: Vec::new(),
            rules: Vec::new(),
            immutable: true,
        }
    }

    /// Sets the kernel backlog buffer (`-b`, 64 to 1048576).
    pub fn buffer(mut self, size: u32) -> Result<Self> {
        if !(64..=1_048_576).contains(&size) {
            return Err(Error::new(
                "audit.buffer",
                Problem::OutOfRange {
                    min: 64,
                    max: 1_048_576,
                    value: size.into(),
                },
            ));
        }
        self.buffer = size;
        Ok(self)
    }

    /// Sets the failure mode (`-f`).
    #[must_use]
    pub fn failure(mut self, mode: FailureMode) -> Self {
        self.failure = mode;
        self
    }

    /// Ends with `-e 2` (the default) or leaves the rules changeable.
    #[must_use]
    pub fn immutable(mut self, immutable: bool) -> Self {
        self.immutable = immutable;
        self
    }

    /// Adds a watch; errors name `audit.watches[i].path` / `.key`.
    pub fn watch(mut self, path: &str, perms: Perms, key: &str) -> Result<Self> {
        let i = self.watches.len();
        let at =
            |e: Error, f: &str| Error::new(format!("audit.watches[{i}].{f}"), e.problem().clone());
        let path = AbsPath::new(path).map_err(|e| at(e, "path"))?;
        let key = AuditKey::new(key).map_err(|e| at(e, "key"))?;
        if perms
            == (Perms {
                read: false,
                write: false,
                exec: false,
                attr: false,
            })
        {
            return Err(Error::new(
                format!("audit.watches[{i}].perms"),
                Problem::Empty,
            ));
        }
        if self.watches.iter().any(|w| w.path == path) {
            return Err(Error::invalid(
                format!("audit.watches[{i}].path"),
                "the path is watched twice",
            ));
        }
        self.watches.push(Watch { path, perms, key });
        Ok(self)
    }

    /// Adds a syscall rule; a rule without syscalls must filter on `path`.
    pub fn rule(mut self, rule: SyscallRule) -> Result<Self> {
        let i = self.rules.len();
        if rule.syscalls.is_empty() && !rule.filters.iter().any(|f| f.field == FilterField::Path) {
            return Err(Error::invalid(
                format!("audit.rules[{i}].syscalls"),
                "a rule without syscalls must filter on path",
            ));
        }
        self.rules.push(rule);
        Ok(self)
    }

    /// The watches.
    pub fn watches(&self) -> &[Watch] {
        &self.watches
    }

    /// The directories holding the watched paths, sorted and without duplicates. `auditctl`
    /// refuses a watch whose parent directory does not exist, and one refused line stops
    /// `augenrules --load` for the whole file (immutable flag included): create these before
    /// loading (`/etc/containerd` does not exist before Docker is installed, `/etc/netplan` not
    /// at all on Debian).
    ///
    /// ```
    /// use hardening_model::auditd::{AuditRules, Perms};
    /// let rules = AuditRules::new()
    ///     .watch("/etc/containerd/config.toml", Perms::CHANGES, "containerd").unwrap()
    ///     .watch("/etc/docker", Perms::CHANGES, "docker").unwrap();
    /// assert_eq!(rules.watched_parents(), ["/etc", "/etc/containerd"]);
    /// ```
    pub fn watched_parents(&self) -> Vec<String> {
        let mut dirs: Vec<String> = self
            .watches
            .iter()
            .filter_map(|w| {
                let p = w.path.as_str().trim_end_matches('/');
                p.rsplit_once('/').map(|(dir, _)| {
                    if dir.is_empty() {
                        "/".to_owned()
                    } else {
                        dir.to_owned()
                    }
                })
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// The syscall rules.
    pub fn rules(&self) -> &[SyscallRule] {
        &self.rules
    }

    /// Every syscall name used by any rule, without duplicates.
    pub fn syscall_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for s in self.rules.iter().flat_map(|r| &r.syscalls) {
            if !names.contains(&s.as_str()) {
                names.push(s.as_str());
            }
        }
        names
    }

    /// `/etc/audit/rules.d/hardening.rules` (mode 0640).
    pub fn render(&self) -> RenderedFile {
        let failure = match self.failure {
            FailureMode::Silent => 0,
            FailureMode::Printk => 1,
            FailureMode::Panic => 2,
        };
        let mut out = format!(
            "## Audit rules, rendered by hardening-model.\n-D\n-b {}\n-f {failure}\n\n## Watches\n",
            self.buffer
        );
        for w in &self.watches {
            out.push_str(&format!("-w {} -p {} -k {}\n", w.path, w.perms, w.key));
        }
        out.push_str("\n## Syscall rules (64-bit and 32-bit entry points)\n");
        for r in &self.rules {
            for line in r.lines() {
                out.push_str(&line);
                out.push('\n');
            }
        }
        if self.immutable {
            out.push_str("\n## Lock the rules until reboot (must be last)\n-e 2\n");
        }
        RenderedFile::root(AUDIT_RULES_PATH, 0o640, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rules_render_once_without_arch() {
        let mut filters = vec![
            Filter::new(FilterField::Path, Op::Eq, "/usr/bin/kmod").unwrap(),
            Filter::new(FilterField::Perm, Op::Eq, "x").unwrap(),
        ];
        filters.extend(Filter::human_users());
        let r = AuditRules::new()
            .rule(SyscallRule::new(&[], filters, "modules").unwrap())
            .unwrap();
        let text = r.render().content;
        assert!(text.contains(
            "\n-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules\n"
        ));
        assert!(!text.contains("arch="));
    }

    #[test]
    fn errors_name_fields() {
        let e = AuditRules::new()
            .watch("/etc/x -k y", Perms::ALL, "k")
            .unwrap_err();
        assert_eq!(e.field(), "audit.watches[0].path");
        let e = AuditRules::new()
            .watch("/etc/x", Perms::ALL, "k k")
            .unwrap_err();
        assert_eq!(e.field(), "audit.watches[0].key");
        let e = AuditRules::new()
            .rule(SyscallRule::new(&[], vec![], "k").unwrap())
            .unwrap_err();
        assert_eq!(e.field(), "audit.rules[0].syscalls");
        assert!(SyscallRule::new(&["open,-w"], vec![], "k").is_err());
    }

    #[test]
    fn immutable_last_and_optional() {
        let r = AuditRules::new()
            .watch("/etc/passwd", Perms::CHANGES, "identity")
            .unwrap();
        assert!(r.render().content.ends_with("\n-e 2\n"));
        assert!(!r.immutable(false).render().content.contains("-e 2"));
    }
}
