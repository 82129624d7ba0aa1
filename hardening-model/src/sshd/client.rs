//! The admins' `ssh_config`: reach fleet hosts through a bastion with `ProxyJump` (runbook 3.6).
//!
//! Every block carries the same algorithm lists as the servers, strict host key checking and
//! `IdentitiesOnly yes` (with `MaxAuthTries 2` on the servers, an agent offering three keys
//! would otherwise be disconnected before the right one is tried). The settings sit in each
//! `Host` block instead of a `Host *` block, so including this file never changes how the admin
//! reaches unrelated hosts.

use std::fmt;
use std::net::IpAddr;

use crate::values::{Domain, Port, UnixUser, check_chars, check_max_len, check_non_empty};
use crate::{Error, Result};

use super::crypto::SshCrypto;

/// A `Host` pattern or alias: ASCII letters, digits and `._-`, plus `*` and `?` wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern(String);

impl HostPattern {
    /// Validates a pattern (no spaces, no `!` negation, no commas).
    ///
    /// ```
    /// use hardening_model::sshd::HostPattern;
    /// assert!(HostPattern::new("fleet-*").is_ok());
    /// assert!(HostPattern::new("a b").is_err());
    /// ```
    pub fn new(pattern: impl Into<String>) -> Result<Self> {
        let pattern = pattern.into();
        let field = "host_pattern";
        check_non_empty(field, &pattern)?;
        check_max_len(field, &pattern, 253)?;
        check_chars(field, &pattern, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*' | '?')
        })?;
        if pattern.starts_with('-') {
            return Err(Error::invalid(field, "must not start with '-'"));
        }
        Ok(Self(pattern))
    }

    /// True when the pattern has no wildcard, so it can be a `ProxyJump` target.
    pub fn is_alias(&self) -> bool {
        !self.0.contains(['*', '?'])
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The address behind an alias (`HostName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostName {
    /// A DNS name.
    Domain(Domain),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(d) => f.write_str(d.as_str()),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A key file path on the admin's machine: `~/...` or absolute, made of ASCII letters, digits
/// and `/._+@-` (no `%` tokens, no `..`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPath(String);

impl ClientPath {
    /// Validates a path.
    ///
    /// ```
    /// use hardening_model::sshd::ClientPath;
    /// assert!(ClientPath::new("~/.ssh/fleet-admin").is_ok());
    /// assert!(ClientPath::new("~/.ssh/../x").is_err());
    /// assert!(ClientPath::new("key file").is_err());
    /// ```
    pub fn new(path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        let field = "identity_file";
        check_non_empty(field, &path)?;
        check_max_len(field, &path, 1024)?;
        check_chars(field, &path, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '+' | '@' | '-' | '~')
        })?;
        let rest = path
            .strip_prefix("~/")
            .or_else(|| path.strip_prefix('/'))
            .ok_or_else(|| Error::invalid(field, "must start with '~/' or '/'"))?;
        if rest
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == ".." || s.contains('~'))
        {
            return Err(Error::invalid(
                field,
                "must not contain empty, '.', '..' or '~' components",
            ));
        }
        Ok(Self(path))
    }
}

impl fmt::Display for ClientPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One `Host` block: who logs in where, with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// The alias or pattern the admin types (`ssh fleet-web-1`).
    pub pattern: HostPattern,
    /// The real address, when the pattern is an alias.
    pub host_name: Option<HostName>,
    /// Remote login user.
    pub user: UnixUser,
    /// Remote SSH port (the fleet's one port).
    pub port: Port,
    /// Private key.
    pub identity_file: ClientPath,
    /// Signed certificate for the key, when certificate logins are used.
    pub certificate_file: Option<ClientPath>,
}

/// The admins' `ssh_config` with a bastion and the hosts reached through it.
///
/// ```
/// use hardening_model::sshd::{AdminSshConfig, ClientPath, HostName, HostPattern, SshCrypto, SshTarget};
/// use hardening_model::values::{Port, UnixUser};
///
/// let key = ClientPath::new("~/.ssh/fleet-admin").unwrap();
/// let bastion = SshTarget {
///     pattern: HostPattern::new("bastion").unwrap(),
///     host_name: Some(HostName::Ip("203.0.113.10".parse().unwrap())),
///     user: UnixUser::new("admin").unwrap(),
///     port: Port::new(22222).unwrap(),
///     identity_file: key.clone(),
///     certificate_file: None,
/// };
/// let fleet = SshTarget {
///     pattern: HostPattern::new("fleet-*").unwrap(),
///     host_name: None,
///     user: UnixUser::new("deploy").unwrap(),
///     port: Port::new(22222).unwrap(),
///     identity_file: key,
///     certificate_file: None,
/// };
/// let text = AdminSshConfig::new(bastion, SshCrypto::baseline(true))
///     .through_bastion(fleet)
///     .render()
///     .unwrap();
/// assert!(text.contains("Host fleet-*\n    ProxyJump bastion\n"));
/// assert!(text.contains("    StrictHostKeyChecking yes\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSshConfig {
    bastion: SshTarget,
    hosts: Vec<SshTarget>,
    crypto: SshCrypto,
}

impl AdminSshConfig {
    /// A config with `bastion` and no fleet hosts yet.
    pub fn new(bastion: SshTarget, crypto: SshCrypto) -> Self {
        Self {
            bastion,
            hosts: Vec::new(),
            crypto,
        }
    }

    /// Adds hosts reached with `ProxyJump` through the bastion.
    #[must_use]
    pub fn through_bastion(mut self, target: SshTarget) -> Self {
        self.hosts.push(target);
        self
    }

    /// Checks the bastion is a plain alias with a `HostName`, and patterns are distinct.
    pub fn check(&self) -> Result<()> {
        if !self.bastion.pattern.is_alias() {
            return Err(Error::invalid(
                "ssh_config.bastion.pattern",
                "the bastion must be a plain alias (no wildcard) to be a ProxyJump target",
            ));
        }
        if self.bastion.host_name.is_none() {
            return Err(Error::new(
                "ssh_config.bastion.host_name",
                crate::Problem::Empty,
            ));
        }
        for (i, h) in self.hosts.iter().enumerate() {
            let seen = std::iter::once(&self.bastion).chain(&self.hosts[..i]);
            if seen.into_iter().any(|o| o.pattern == h.pattern) {
                return Err(Error::invalid(
                    format!("ssh_config.hosts[{i}].pattern"),
                    "the pattern is listed twice",
                ));
            }
        }
        Ok(())
    }

    /// The `ssh_config` text.
    pub fn render(&self) -> Result<String> {
        self.check()?;
        let mut out = String::from(
            "# Admin ssh_config, rendered by hardening-model.\n\
             # ssh uses the first value it finds for each option.\n",
        );
        self.block(&mut out, &self.bastion, None);
        for h in &self.hosts {
            self.block(&mut out, h, Some(&self.bastion.pattern));
        }
        Ok(out)
    }

    fn block(&self, out: &mut String, t: &SshTarget, jump: Option<&HostPattern>) {
        out.push_str(&format!("\nHost {}\n", t.pattern));
        let mut line = |k: &str, v: &dyn fmt::Display| {
            out.push_str(&format!("    {k} {v}\n"));
        };
        if let Some(j) = jump {
            line("ProxyJump", j);
        }
        if let Some(h) = &t.host_name {
            line("HostName", h);
        }
        line("User", &t.user);
        line("Port", &t.port);
        line("IdentityFile", &t.identity_file);
        if let Some(c) = &t.certificate_file {
            line("CertificateFile", c);
        }
        line("IdentitiesOnly", &"yes");
        line("StrictHostKeyChecking", &"yes");
        line("HashKnownHosts", &"yes");
        line("ForwardAgent", &"no");
        line("ForwardX11", &"no");
        line("KexAlgorithms", &self.crypto.kex_line());
        line("Ciphers", &self.crypto.ciphers_line());
        line("MACs", &self.crypto.macs_line());
        line("HostKeyAlgorithms", &self.crypto.host_key_algorithms_line());
        line(
            "PubkeyAcceptedAlgorithms",
            &self.crypto.pubkey_algorithms_line(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(p: &str) -> SshTarget {
        SshTarget {
            pattern: HostPattern::new(p).unwrap(),
            host_name: Some(HostName::Domain(
                Domain::new("bastion.example.com").unwrap(),
            )),
            user: UnixUser::new("admin").unwrap(),
            port: Port::new(2222).unwrap(),
            identity_file: ClientPath::new("~/.ssh/id_ed25519").unwrap(),
            certificate_file: Some(ClientPath::new("~/.ssh/id_ed25519-cert.pub").unwrap()),
        }
    }

    #[test]
    fn bastion_must_be_alias_with_address() {
        let c = AdminSshConfig::new(target("b-*"), SshCrypto::baseline(false));
        assert_eq!(
            c.render().unwrap_err().field(),
            "ssh_config.bastion.pattern"
        );
        let mut t = target("b");
        t.host_name = None;
        let c = AdminSshConfig::new(t, SshCrypto::baseline(false));
        assert_eq!(
            c.render().unwrap_err().field(),
            "ssh_config.bastion.host_name"
        );
    }

    #[test]
    fn duplicate_patterns_rejected() {
        let c = AdminSshConfig::new(target("b"), SshCrypto::baseline(false))
            .through_bastion(target("b"));
        assert_eq!(
            c.render().unwrap_err().field(),
            "ssh_config.hosts[0].pattern"
        );
    }

    #[test]
    fn renders_certificate_and_jump() {
        let c = AdminSshConfig::new(target("b"), SshCrypto::baseline(false))
            .through_bastion(target("web-*"));
        let text = c.render().unwrap();
        assert!(text.contains("Host b\n    HostName bastion.example.com\n"));
        assert!(text.contains("Host web-*\n    ProxyJump b\n"));
        assert_eq!(
            text.matches("CertificateFile ~/.ssh/id_ed25519-cert.pub")
                .count(),
            2
        );
    }
}
