//! [`HostBaseline`]: every host-baseline policy of one host, with its files and ordered steps.

use crate::auditd::AuditRules;
use crate::chrony::ChronyPolicy;
use crate::command::HostCommand;
use crate::kernel_modules::KernelModulePolicy;
use crate::mounts::MountPolicy;
use crate::services::DisabledServices;
use crate::sshd::SshdPolicy;
use crate::sysctl::SysctlPolicy;
use crate::unattended_upgrades::UnattendedUpgrades;
use crate::values::{Port, UnixUser};
use crate::{RenderedFile, Result};

/// Path of the pre-login banner the sshd baseline shows.
pub const BANNER_PATH: &str = "/etc/issue.net";

/// Banner text: a warning without the OS name or version (CIS 1.6.2/1.6.3; Ubuntu's default
/// `/etc/issue.net` names the release).
pub const BANNER_TEXT: &str = "Authorized access only. All activity is monitored and logged.\n";

/// Path of the core-dump limit (CIS 1.5.3, runbook 2.1).
pub const CORE_LIMITS_PATH: &str = "/etc/security/limits.d/10-hardening.conf";

/// No core dumps for any login session; `fs.suid_dumpable = 0` and `kernel.core_pattern`
/// in the sysctl preset cover setuid programs and the kernel side. A `limits.d` file instead of
/// the runbook's append to `/etc/security/limits.conf`, so reruns do not duplicate it.
pub const CORE_LIMITS_TEXT: &str =
    "# Rendered by hardening-model: no core dumps (CIS 1.5.3).\n* hard core 0\n";

/// The whole host baseline of runbook sections 2 and 3, each part a public field the caller may
/// replace or adjust before rendering.
///
/// ```
/// use hardening_model::presets::host::HostBaseline;
/// use hardening_model::values::{Port, UnixUser};
///
/// let host = HostBaseline::new(Port::new(22222).unwrap(), &[UnixUser::new("deploy").unwrap()]).unwrap();
/// let files = host.files().unwrap();
/// assert!(files.iter().any(|f| f.path == "/etc/ssh/sshd_config.d/10-hardening.conf"));
/// let steps = host.commands();
/// // Applying the SSH port comes last, after every other part.
/// assert_eq!(steps.last().unwrap().argv[0], "ss");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBaseline {
    /// sshd fragment, `ssh.socket` drop-in, certificate files.
    pub sshd: SshdPolicy,
    /// Kernel parameters.
    pub sysctl: SysctlPolicy,
    /// Modules kept from loading.
    pub kernel_modules: KernelModulePolicy,
    /// tmpfs mount units.
    pub mounts: MountPolicy,
    /// auditd rules.
    pub audit: AuditRules,
    /// Automatic security updates.
    pub unattended_upgrades: UnattendedUpgrades,
    /// Time synchronisation.
    pub chrony: ChronyPolicy,
    /// Services switched off.
    pub services: DisabledServices,
}

impl HostBaseline {
    /// Every preset of [`crate::presets::host`] for one SSH `port` and the admins allowed in.
    pub fn new(port: Port, admin_users: &[UnixUser]) -> Result<Self> {
        Ok(Self {
            sshd: super::sshd(port, admin_users)?,
            sysctl: super::sysctl(),
            kernel_modules: super::kernel_modules(),
            mounts: super::mounts(),
            audit: super::audit_rules(),
            unattended_upgrades: super::unattended_upgrades(),
            chrony: super::chrony(),
            services: super::disabled_services(),
        })
    }

    /// Packages the baseline needs installed.
    pub fn packages(&self) -> Vec<&'static str> {
        let mut p = vec!["auditd", "audispd-plugins", "unattended-upgrades"];
        p.extend(self.chrony.packages());
        p
    }

    /// Every file, each with its path, mode and owner: the sshd files, the banner, the core-dump
    /// limit, sysctl (and
    /// the conntrack modules-load file), modprobe, mount units, audit rules, apt and chrony
    /// configuration.
    pub fn files(&self) -> Result<Vec<RenderedFile>> {
        let mut files = self.sshd.files()?;
        files.push(RenderedFile::root(BANNER_PATH, 0o644, BANNER_TEXT));
        files.push(RenderedFile::root(
            CORE_LIMITS_PATH,
            0o644,
            CORE_LIMITS_TEXT,
        ));
        files.extend(self.sysctl.files());
        files.push(self.kernel_modules.render());
        files.extend(self.mounts.files());
        files.push(self.audit.render());
        files.extend(self.unattended_upgrades.files()?);
        files.push(self.chrony.render()?);
        Ok(files)
    }

    /// The commands that apply the files once they are written and the packages installed, in
    /// order. The SSH steps come last (`sshd -t` before the socket restarts); the firewall must
    /// already admit the SSH port by then, or the next login is refused.
    pub fn commands(&self) -> Vec<HostCommand> {
        let mut steps = Vec::new();
        if self.sysctl.needs_conntrack_module() {
            steps.push(HostCommand::new(
                ["systemctl", "restart", "systemd-modules-load.service"],
                "load nf_conntrack so its sysctl keys exist",
            ));
        }
        steps.push(HostCommand::new(
            ["sysctl", "--system"],
            "apply the kernel parameters now",
        ));
        steps.extend(self.mounts.commands());
        steps.extend(self.services.commands());
        steps.extend(self.chrony.commands());
        steps.push(HostCommand::new(
            ["systemctl", "enable", "--now", "auditd.service"],
            "start auditd now and at boot",
        ));
        steps.push(
            HostCommand::new(
                ["augenrules", "--load"],
                "load the audit rules (refused harmlessly once they are already loaded and immutable)",
            )
            .allow_failure(),
        );
        steps.extend(self.sshd.socket().apply_steps());
        steps
    }
}
