//! Automatic security updates (runbook 2.6): `50unattended-upgrades` and `20auto-upgrades`.
//!
//! The runbook blacklists `docker-ce`, `docker-ce-cli` and `containerd.io`, which are Docker
//! Inc.'s packages; the hosts install Ubuntu's `docker.io`, `containerd` and `runc`, which it
//! therefore leaves to automatic upgrades, against its stated intent. The preset blacklists the
//! packages actually installed. Blacklist entries are Python regular expressions matched from
//! the start of the package name, so each is rendered anchored and escaped (`^docker\.io$`):
//! a bare `runc` would also hold back `runc-foo`.

use std::fmt;

use crate::command::HostCommand;
use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Path of the main configuration file.
pub const UNATTENDED_UPGRADES_PATH: &str = "/etc/apt/apt.conf.d/50unattended-upgrades";
/// Path of the periodic-run switch file.
pub const AUTO_UPGRADES_PATH: &str = "/etc/apt/apt.conf.d/20auto-upgrades";

/// A Debian package name: lowercase letters, digits and `+.-`, starting with a letter or digit,
/// at least two characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageName(String);

impl PackageName {
    /// Validates a package name.
    ///
    /// ```
    /// use hardening_model::unattended_upgrades::PackageName;
    /// assert!(PackageName::new("docker.io").is_ok());
    /// assert!(PackageName::new("docker.io\";").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let field = "package";
        check_non_empty(field, &name)?;
        check_max_len(field, &name, 128)?;
        check_chars(field, &name, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '-')
        })?;
        if name.len() < 2 || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                field,
                "must have two or more characters and start with a letter or digit",
            ));
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an anchored, escaped regular expression.
    fn as_regex(&self) -> String {
        let mut out = String::from("^");
        for c in self.0.chars() {
            if matches!(c, '.' | '+') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('$');
        out
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An `Allowed-Origins` entry such as `${distro_id}:${distro_codename}-security`: letters,
/// digits and `_.:+-`, plus the `${distro_id}` and `${distro_codename}` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    /// Validates an origin pattern.
    ///
    /// ```
    /// use hardening_model::unattended_upgrades::AllowedOrigin;
    /// assert!(AllowedOrigin::new("${distro_id}ESMApps:${distro_codename}-apps-security").is_ok());
    /// assert!(AllowedOrigin::new("${HOME}:x").is_err());
    /// ```
    pub fn new(origin: impl Into<String>) -> Result<Self> {
        let origin = origin.into();
        let field = "origin";
        check_non_empty(field, &origin)?;
        check_max_len(field, &origin, 200)?;
        let plain = origin
            .replace("${distro_id}", "")
            .replace("${distro_codename}", "");
        check_chars(field, &plain, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-')
        })?;
        if !origin.contains(':') {
            return Err(Error::invalid(field, "must have the form ORIGIN:ARCHIVE"));
        }
        Ok(Self(origin))
    }
}

/// A daily reboot time for `Automatic-Reboot-Time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebootTime {
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
}

/// The unattended-upgrades configuration.
///
/// ```
/// use hardening_model::unattended_upgrades::{PackageName, UnattendedUpgrades};
/// let u = UnattendedUpgrades::security_only().hold(PackageName::new("docker.io").unwrap());
/// let files = u.files().unwrap();
/// assert!(files[0].content.contains("    \"^docker\\.io$\";\n"));
/// assert!(files[1].content.contains("APT::Periodic::Unattended-Upgrade \"1\";\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnattendedUpgrades {
    origins: Vec<AllowedOrigin>,
    blacklist: Vec<PackageName>,
    /// `Remove-Unused-Kernel-Packages`.
    pub remove_unused_kernels: bool,
    /// `Remove-Unused-Dependencies` and `Remove-New-Unused-Dependencies`.
    pub remove_unused_dependencies: bool,
    /// `Automatic-Reboot` at the given time; `None` never reboots.
    pub automatic_reboot: Option<RebootTime>,
    /// `MinimalSteps`.
    pub minimal_steps: bool,
    /// `AutocleanInterval` in days (0 = never).
    pub autoclean_days: u8,
}

impl UnattendedUpgrades {
    /// The Ubuntu release, security and ESM security pockets; no blacklist; no automatic reboot.
    pub fn security_only() -> Self {
        let origins = [
            "${distro_id}:${distro_codename}",
            "${distro_id}:${distro_codename}-security",
            "${distro_id}ESMApps:${distro_codename}-apps-security",
            "${distro_id}ESM:${distro_codename}-infra-security",
        ]
        .into_iter()
        .map(|o| AllowedOrigin(o.to_owned()))
        .collect();
        Self {
            origins,
            blacklist: Vec::new(),
            remove_unused_kernels: true,
            remove_unused_dependencies: true,
            automatic_reboot: None,
            minimal_steps: true,
            autoclean_days: 7,
        }
    }

    /// Adds an allowed origin.
    #[must_use]
    pub fn origin(mut self, origin: AllowedOrigin) -> Self {
        if !self.origins.contains(&origin) {
            self.origins.push(origin);
        }
        self
    }

    /// Never upgrades `package` automatically.
    #[must_use]
    pub fn hold(mut self, package: PackageName) -> Self {
        if !self.blacklist.contains(&package) {
            self.blacklist.push(package);
        }
        self
    }

    /// The blacklisted packages.
    pub fn held_packages(&self) -> &[PackageName] {
        &self.blacklist
    }

    /// `apt-mark hold` for the blacklisted packages: also stops a manual `apt upgrade` from
    /// moving them (undo with `apt-mark unhold` when upgrading deliberately). `None` when
    /// nothing is blacklisted.
    pub fn apt_mark_hold(&self) -> Option<HostCommand> {
        (!self.blacklist.is_empty()).then(|| {
            let mut argv = vec!["apt-mark".to_owned(), "hold".to_owned()];
            argv.extend(self.blacklist.iter().map(ToString::to_string));
            HostCommand::new(argv, "keep the container runtime at the tested version")
        })
    }

    fn check(&self) -> Result<()> {
        if self.origins.is_empty() {
            return Err(Error::new("unattended_upgrades.origins", Problem::Empty));
        }
        if let Some(t) = self.automatic_reboot
            && (t.hour > 23 || t.minute > 59)
        {
            return Err(Error::invalid(
                "unattended_upgrades.automatic_reboot",
                "hour must be 0-23 and minute 0-59",
            ));
        }
        Ok(())
    }

    /// `50unattended-upgrades` and `20auto-upgrades` (mode 0644).
    pub fn files(&self) -> Result<Vec<RenderedFile>> {
        self.check()?;
        let b = |v: bool| if v { "true" } else { "false" };
        let mut main = String::from(
            "// Rendered by hardening-model.\nUnattended-Upgrade::Allowed-Origins {\n",
        );
        for o in &self.origins {
            main.push_str(&format!("    \"{}\";\n", o.0));
        }
        main.push_str("};\n\n// Never upgraded automatically (anchored regular expressions).\nUnattended-Upgrade::Package-Blacklist {\n");
        for p in &self.blacklist {
            main.push_str(&format!("    \"{}\";\n", p.as_regex()));
        }
        main.push_str("};\n\n");
        let deps = b(self.remove_unused_dependencies);
        for (k, v) in [
            (
                "Remove-Unused-Kernel-Packages",
                b(self.remove_unused_kernels),
            ),
            ("Remove-Unused-Dependencies", deps),
            ("Remove-New-Unused-Dependencies", deps),
            ("AutoFixInterruptedDpkg", "true"),
            ("MinimalSteps", b(self.minimal_steps)),
            ("SyslogEnable", "true"),
            ("SyslogFacility", "daemon"),
            ("Automatic-Reboot", b(self.automatic_reboot.is_some())),
            ("Automatic-Reboot-WithUsers", "false"),
        ] {
            main.push_str(&format!("Unattended-Upgrade::{k} \"{v}\";\n"));
        }
        if let Some(t) = self.automatic_reboot {
            main.push_str(&format!(
                "Unattended-Upgrade::Automatic-Reboot-Time \"{:02}:{:02}\";\n",
                t.hour, t.minute
            ));
        }
        let periodic = format!(
            "// Rendered by hardening-model.\n\
             APT::Periodic::Update-Package-Lists \"1\";\n\
             APT::Periodic::Download-Upgradeable-Packages \"1\";\n\
             APT::Periodic::Unattended-Upgrade \"1\";\n\
             APT::Periodic::AutocleanInterval \"{}\";\n",
            self.autoclean_days
        );
        Ok(vec![
            RenderedFile::root(UNATTENDED_UPGRADES_PATH, 0o644, main),
            RenderedFile::root(AUTO_UPGRADES_PATH, 0o644, periodic),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_escaping() {
        assert_eq!(
            PackageName::new("libstdc++6").unwrap().as_regex(),
            r"^libstdc\+\+6$"
        );
    }

    #[test]
    fn hold_command_lists_packages() {
        let u = UnattendedUpgrades::security_only()
            .hold(PackageName::new("runc").unwrap())
            .hold(PackageName::new("runc").unwrap());
        assert_eq!(
            u.apt_mark_hold().unwrap().shell_line(),
            "apt-mark hold runc"
        );
        assert!(
            UnattendedUpgrades::security_only()
                .apt_mark_hold()
                .is_none()
        );
    }

    #[test]
    fn reboot_time_validated_and_rendered() {
        let mut u = UnattendedUpgrades::security_only();
        u.automatic_reboot = Some(RebootTime {
            hour: 24,
            minute: 0,
        });
        assert_eq!(
            u.files().unwrap_err().field(),
            "unattended_upgrades.automatic_reboot"
        );
        u.automatic_reboot = Some(RebootTime { hour: 3, minute: 5 });
        let text = &u.files().unwrap()[0].content;
        assert!(text.contains("Automatic-Reboot \"true\";\n"));
        assert!(text.contains("Automatic-Reboot-Time \"03:05\";\n"));
    }
}
