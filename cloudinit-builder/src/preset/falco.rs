//! Falco runtime detection with the right units and rules (runbook section 8.5, erratum 18).
//!
//! Departures from the runbook: the package ships `falco-modern-bpf.service`,
//! `falco-kmod.service` and `falco-bpf.service`, not `falco.service`, so `systemctl enable falco`
//! enables nothing; the driver is chosen non-interactively at install time. The shell-spawn rule
//! no longer exempts `node`/`npm` as parent: a shell spawned by the Node.js app is exactly what a
//! remote code execution looks like. The outbound rule keeps `fd.sport` (for an outbound
//! connection Falco's server port is the remote port, so this is correct usage). Reading
//! `/etc/passwd` is what every libc name-service lookup does (Node's `os.userInfo()`, `getpwuid`),
//! so it has its own rule at `NOTICE`; only `/etc/shadow` and `/proc/1/environ` are `CRITICAL`.

use hardening_model::values::check_token;

use super::{Contribution, Part, Slot, Stage, yaml};
use crate::{AptSource, Command, Result, WriteFile};

/// The rules file the part writes.
pub const FALCO_RULES: &str = "/etc/falco/rules.d/50-hardened-host.yaml";

/// Which Falco driver to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FalcoDriver {
    /// The CO-RE eBPF probe (kernel 5.8+, no headers needed): `falco-modern-bpf.service`.
    ModernBpf,
    /// The kernel module (built with DKMS): `falco-kmod.service`.
    Kmod,
}

impl FalcoDriver {
    /// The systemd unit the package provides for this driver.
    pub fn unit(self) -> &'static str {
        match self {
            Self::ModernBpf => "falco-modern-bpf.service",
            Self::Kmod => "falco-kmod.service",
        }
    }

    fn choice(self) -> &'static str {
        match self {
            Self::ModernBpf => "modern_ebpf",
            Self::Kmod => "kmod",
        }
    }
}

/// Falco with rules for the app's containers.
#[derive(Debug, Clone)]
pub struct Falco {
    driver: FalcoDriver,
    container_prefix: String,
    repo: AptSource,
}

impl Falco {
    /// `container_prefix` selects the app's containers by name; `falco_key` is the
    /// ASCII-armoured key of `https://download.falco.org/packages/deb`.
    pub fn new(driver: FalcoDriver, container_prefix: &str, falco_key: &str) -> Result<Self> {
        check_token("falco.container_prefix", container_prefix, &[])?;
        Ok(Self {
            driver,
            container_prefix: container_prefix.to_owned(),
            repo: AptSource::signed(
                "falcosecurity",
                "https://download.falco.org/packages/deb",
                "stable",
                ["main"],
                falco_key,
            )?,
        })
    }

    /// The rules file.
    pub fn rules(&self) -> Result<String> {
        let scope = format!(
            "container and container.name startswith \"{}\"",
            self.container_prefix
        );
        let rules = serde_json::json!([
            {
                "rule": "Shell spawned in app container",
                "desc": "Shell in an app container, whatever its parent (node included: that is how RCE looks)",
                "condition": format!("spawned_process and {scope} and proc.name in (bash, sh, dash, zsh, csh, ash, ksh)"),
                "output": "Shell spawned in app container (user=%user.name parent=%proc.pname command=%proc.cmdline container=%container.name image=%container.image.repository)",
                "priority": "WARNING",
                "tags": ["container", "shell", "mitre_execution"],
            },
            {
                "rule": "Unexpected outbound connection from app container",
                "desc": "Outbound connection from an app container to a port other than 80, 443, 53",
                "condition": format!("outbound and {scope} and not fd.sport in (80, 443, 53)"),
                "output": "Unexpected outbound connection from app container (command=%proc.cmdline connection=%fd.name container=%container.name)",
                "priority": "WARNING",
                "tags": ["container", "network", "mitre_exfiltration"],
            },
            {
                "rule": "Sensitive file read in app container",
                "desc": "Credential file read in an app container",
                "condition": format!("open_read and {scope} and (fd.name startswith /etc/shadow or fd.name startswith /proc/1/environ)"),
                "output": "Sensitive file read in app container (user=%user.name command=%proc.cmdline file=%fd.name container=%container.name)",
                "priority": "CRITICAL",
                "tags": ["container", "filesystem", "mitre_credential_access"],
            },
            {
                "rule": "Account database read in app container",
                "desc": "/etc/passwd read in an app container: every name-service lookup does this, so it is a hint, not an alarm",
                "condition": format!("open_read and {scope} and fd.name = /etc/passwd"),
                "output": "/etc/passwd read in app container (user=%user.name command=%proc.cmdline container=%container.name)",
                "priority": "NOTICE",
                "tags": ["container", "filesystem", "mitre_discovery"],
            },
        ]);
        yaml(&rules)
    }
}

impl Part for Falco {
    fn slot(&self) -> Slot {
        Slot::Falco
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.apt_source(self.repo.clone());
        out.file(WriteFile::new(FALCO_RULES, self.rules()?)?);
        let choice = format!("FALCO_DRIVER_CHOICE={}", self.driver.choice());
        let mut install = vec![
            "env",
            "DEBIAN_FRONTEND=noninteractive",
            "FALCO_FRONTEND=noninteractive",
            &choice,
            "apt-get",
            "install",
            "-y",
            "--no-install-recommends",
            "falco",
        ];
        if self.driver == FalcoDriver::Kmod {
            install.push("dkms");
            install.push("linux-headers-generic");
        }
        out.command(
            Stage::Monitoring,
            Command::chain([
                Command::argv(install)?,
                Command::argv(["systemctl", "enable", "--now", self.driver.unit()])?,
            ])?,
        );
        Ok(())
    }
}
