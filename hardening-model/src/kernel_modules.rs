//! Kernel modules to keep from loading (runbook 2.1 and 2.8), rendered to a modprobe.d file.
//!
//! Each module gets both `install NAME /bin/false` (an explicit `modprobe` fails) and
//! `blacklist NAME` (no automatic loading by alias); CIS scanners look for both lines, and the
//! runbook's 2.8 file only had the first.
//!
//! The policy refuses modules a Docker host on Hetzner needs:
//! - `freevfat` does not exist (the runbook's typo for `freevxfs`);
//! - `vfat` is needed to mount the EFI system partition on UEFI machines;
//! - `overlay` is Docker's overlay2 storage driver; `bridge`, `br_netfilter`, `veth` and the
//!   netfilter modules carry container networking.
//!
//! `squashfs` is accepted but flagged: it is built into the Ubuntu 24.04 kernel, so the lines
//! have no effect there, and on kernels where it is a module they break snaps.

use std::fmt;

use crate::values::{check_chars, check_max_len, check_non_empty, check_single_line};
use crate::{Error, Problem, RenderedFile, Result};

/// Path of the rendered modprobe file.
pub const MODPROBE_PATH: &str = "/etc/modprobe.d/hardening-blacklist.conf";

/// Modules a Docker host must keep, with the reason (names with `_` for `-`).
const REQUIRED: &[(&str, &str)] = &[
    (
        "vfat",
        "the EFI system partition is vfat; UEFI machines need it to boot",
    ),
    ("overlay", "Docker's overlay2 storage driver needs it"),
    ("bridge", "Docker's bridge networks need it"),
    ("br_netfilter", "Docker's bridge filtering needs it"),
    ("veth", "container network interfaces need it"),
    (
        "nf_conntrack",
        "Docker's NAT and stateful firewall rules need it",
    ),
    ("nf_nat", "Docker's published ports need it"),
    ("nf_tables", "the nftables firewall needs it"),
    ("ip_tables", "Docker's iptables rules need it"),
];

/// A kernel module name: lowercase ASCII letters, digits, `_` and `-`, at most 56 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleName(String);

impl ModuleName {
    /// Validates a module name and refuses the ones listed in the module docs.
    ///
    /// ```
    /// use hardening_model::kernel_modules::ModuleName;
    /// assert!(ModuleName::new("freevxfs").is_ok());
    /// assert!(ModuleName::new("freevfat").unwrap_err().to_string().contains("freevxfs"));
    /// assert!(ModuleName::new("overlay").is_err());
    /// assert!(ModuleName::new("usb-storage").is_ok());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let field = "module";
        check_non_empty(field, &name)?;
        check_max_len(field, &name, 56)?;
        check_chars(field, &name, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
        })?;
        if name.starts_with('-') {
            return Err(Error::invalid(field, "must not start with '-'"));
        }
        let normal = name.replace('-', "_");
        if normal == "freevfat" {
            return Err(Error::invalid(
                field,
                "there is no module freevfat; the CIS item is freevxfs (never vfat)",
            ));
        }
        if let Some((_, why)) = REQUIRED.iter().find(|(m, _)| *m == normal) {
            return Err(Error::new(
                field,
                Problem::Conflict(format!("must stay loadable: {why}")),
            ));
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `squashfs`, which is built into the Ubuntu 24.04 kernel.
    pub fn is_builtin_on_noble(&self) -> bool {
        self.0 == "squashfs"
    }
}

impl fmt::Display for ModuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One disabled module and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledModule {
    /// The module.
    pub name: ModuleName,
    /// Benchmark item, e.g. `CIS 1.1.1.2`.
    pub anchor: Option<String>,
    /// Why it is disabled (single line).
    pub reason: String,
}

/// The modules kept from loading on a host.
///
/// ```
/// use hardening_model::kernel_modules::KernelModulePolicy;
/// let p = KernelModulePolicy::new()
///     .disable("cramfs", Some("CIS 1.1.1.1"), "unused filesystem")
///     .unwrap();
/// let text = p.render().content;
/// assert!(text.contains("install cramfs /bin/false\nblacklist cramfs\n"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelModulePolicy {
    modules: Vec<DisabledModule>,
}

impl KernelModulePolicy {
    /// No modules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Disables `name`; errors name the field `kernel_modules[i].name` / `.reason` / `.anchor`.
    pub fn disable(mut self, name: &str, anchor: Option<&str>, reason: &str) -> Result<Self> {
        let i = self.modules.len();
        let name = ModuleName::new(name)
            .map_err(|e| Error::new(format!("kernel_modules[{i}].name"), e.problem().clone()))?;
        if self.modules.iter().any(|m| m.name == name) {
            return Err(Error::invalid(
                format!("kernel_modules[{i}].name"),
                "the module is listed twice",
            ));
        }
        check_non_empty(&format!("kernel_modules[{i}].reason"), reason)?;
        check_single_line(&format!("kernel_modules[{i}].reason"), reason, 200)?;
        if let Some(a) = anchor {
            check_non_empty(&format!("kernel_modules[{i}].anchor"), a)?;
            check_single_line(&format!("kernel_modules[{i}].anchor"), a, 60)?;
        }
        self.modules.push(DisabledModule {
            name,
            anchor: anchor.map(str::to_owned),
            reason: reason.to_owned(),
        });
        Ok(self)
    }

    /// The modules in order.
    pub fn modules(&self) -> &[DisabledModule] {
        &self.modules
    }

    /// True when `name` is disabled.
    pub fn disables(&self, name: &str) -> bool {
        self.modules.iter().any(|m| m.name.as_str() == name)
    }

    /// `/etc/modprobe.d/hardening-blacklist.conf` (mode 0644).
    pub fn render(&self) -> RenderedFile {
        let mut out = String::from(
            "# Kernel modules kept from loading, rendered by hardening-model.\n\
             # Each has `install NAME /bin/false` (modprobe fails) and `blacklist NAME` (no alias autoload).\n",
        );
        for m in &self.modules {
            out.push('\n');
            match &m.anchor {
                Some(a) => out.push_str(&format!("# {}: {a}: {}\n", m.name, m.reason)),
                None => out.push_str(&format!("# {}: {}\n", m.name, m.reason)),
            }
            if m.name.is_builtin_on_noble() {
                out.push_str(
                    "# squashfs is built into the Ubuntu 24.04 kernel: no effect there; where it is a module this breaks snaps.\n",
                );
            }
            out.push_str(&format!("install {0} /bin/false\nblacklist {0}\n", m.name));
        }
        RenderedFile::root(MODPROBE_PATH, 0o644, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_modules_refused_with_field() {
        let e = KernelModulePolicy::new()
            .disable("cramfs", None, "x")
            .unwrap()
            .disable("br-netfilter", None, "x")
            .unwrap_err();
        assert_eq!(e.field(), "kernel_modules[1].name");
        assert!(matches!(e.problem(), Problem::Conflict(_)));
    }

    #[test]
    fn squashfs_is_flagged() {
        let text = KernelModulePolicy::new()
            .disable("squashfs", None, "unused")
            .unwrap()
            .render()
            .content;
        assert!(text.contains("built into the Ubuntu 24.04 kernel"));
    }

    #[test]
    fn every_install_has_its_blacklist() {
        let p = KernelModulePolicy::new()
            .disable("dccp", Some("CIS 3.2.1"), "uncommon protocol")
            .unwrap()
            .disable("usb-storage", Some("CIS 1.1.1.9"), "no USB on a VPS")
            .unwrap();
        let text = p.render().content;
        for m in ["dccp", "usb-storage"] {
            assert!(text.contains(&format!("install {m} /bin/false\n")));
            assert!(text.contains(&format!("blacklist {m}\n")));
        }
        assert!(!text.contains("/bin/true"));
    }
}
