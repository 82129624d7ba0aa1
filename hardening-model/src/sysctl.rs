//! Kernel parameters (runbook 2.1, 2.2 and 4.5) rendered to `/etc/sysctl.d/99-hardening.conf`.
//!
//! Three things the runbook gets wrong are handled here:
//! - `net.netfilter.nf_conntrack_*` keys only exist once the `nf_conntrack` module is loaded;
//!   `systemd-sysctl` runs early at boot and skips them otherwise. Whenever such a key is set,
//!   [`SysctlPolicy::files`] also renders `/etc/modules-load.d/nf_conntrack.conf`, which
//!   systemd loads before `systemd-sysctl` runs.
//! - `net.ipv4.ip_forward = 1` is not a CIS setting but an exception to CIS 3.3.1 that Docker
//!   needs; it is rendered under an `EXCEPTION` comment ([`SysctlEntry::exception`]).
//! - The IPv6 `accept_redirects` / `accept_source_route` keys CIS 3.3.5 and 3.3.8 ask for are
//!   in the preset ([`crate::presets::host::sysctl`]).
//!
//! Note that Ubuntu's ufw package resets `log_martians` from `/etc/ufw/sysctl.conf` each time
//! it starts; the firewall module neutralises that file.

use crate::values::{check_chars, check_max_len, check_non_empty, check_single_line};
use crate::{Error, RenderedFile, Result};

/// Path of the rendered sysctl file. `99-` sorts after Ubuntu's own `10-*.conf` files in
/// `/etc/sysctl.d` (which set e.g. `rp_filter = 2`), so these values win.
pub const SYSCTL_PATH: &str = "/etc/sysctl.d/99-hardening.conf";

/// Path of the modules-load file for the conntrack module.
pub const CONNTRACK_MODULES_LOAD_PATH: &str = "/etc/modules-load.d/nf_conntrack.conf";

/// One `key = value` line with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlEntry {
    /// Dotted key, e.g. `net.ipv4.conf.all.rp_filter`.
    pub key: String,
    /// Value, e.g. `1` or `|/bin/false`.
    pub value: String,
    /// Where the setting comes from (e.g. `CIS 3.3.7`, `dev-sec`); single line.
    pub anchor: Option<String>,
    /// Why it is set; single line.
    pub note: Option<String>,
    /// When the setting deliberately departs from a benchmark item: the item it departs from
    /// (e.g. `CIS 3.3.1`).
    pub exception_to: Option<String>,
}

impl SysctlEntry {
    /// A plain setting.
    pub fn new(key: &str, value: &str) -> Self {
        Self {
            key: key.to_owned(),
            value: value.to_owned(),
            anchor: None,
            note: None,
            exception_to: None,
        }
    }

    /// A setting required by a benchmark item (`anchor`), with a short note.
    pub fn anchored(key: &str, value: &str, anchor: &str, note: &str) -> Self {
        Self {
            anchor: Some(anchor.to_owned()),
            note: Some(note.to_owned()),
            ..Self::new(key, value)
        }
    }

    /// A setting that departs from benchmark item `against`, with the reason.
    ///
    /// ```
    /// use hardening_model::sysctl::{SysctlEntry, SysctlPolicy};
    /// let p = SysctlPolicy::new()
    ///     .push(SysctlEntry::exception("net.ipv4.ip_forward", "1", "CIS 3.3.1", "Docker routes container traffic through the host"))
    ///     .unwrap();
    /// let text = p.render().content;
    /// assert!(text.contains("# EXCEPTION to CIS 3.3.1: Docker routes container traffic through the host\nnet.ipv4.ip_forward = 1\n"));
    /// ```
    pub fn exception(key: &str, value: &str, against: &str, why: &str) -> Self {
        Self {
            note: Some(why.to_owned()),
            exception_to: Some(against.to_owned()),
            ..Self::new(key, value)
        }
    }

    fn check(&self, at: usize) -> Result<()> {
        let f = |name: &str| format!("sysctl[{at}].{name}");
        check_key(&f("key"), &self.key)?;
        let value_field = f("value");
        check_non_empty(&value_field, &self.value)?;
        check_max_len(&value_field, &self.value, 256)?;
        check_chars(&value_field, &self.value, |c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | ':' | '|' | '/' | '-' | ',')
        })?;
        if self.value.starts_with(' ') || self.value.ends_with(' ') {
            return Err(Error::invalid(
                value_field,
                "must not start or end with a space",
            ));
        }
        for (name, text) in [
            ("anchor", &self.anchor),
            ("note", &self.note),
            ("exception_to", &self.exception_to),
        ] {
            if let Some(t) = text {
                check_non_empty(&f(name), t)?;
                check_single_line(&f(name), t, 200)?;
            }
        }
        Ok(())
    }

    fn needs_conntrack(&self) -> bool {
        self.key.starts_with("net.netfilter.nf_conntrack_")
    }
}

fn check_key(field: &str, key: &str) -> Result<()> {
    check_non_empty(field, key)?;
    check_max_len(field, key, 200)?;
    check_chars(field, key, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
    })?;
    if !key.contains('.') || key.split('.').any(str::is_empty) {
        return Err(Error::invalid(
            field,
            "must be dotted segments such as net.ipv4.tcp_syncookies",
        ));
    }
    Ok(())
}

/// The kernel parameters of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysctlPolicy {
    entries: Vec<SysctlEntry>,
}

impl SysctlPolicy {
    /// No settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a setting after validating it; a key may appear only once (fields
    /// `sysctl[i].key`, `.value`, `.note`, ...).
    ///
    /// ```
    /// use hardening_model::sysctl::{SysctlEntry, SysctlPolicy};
    /// let err = SysctlPolicy::new()
    ///     .push(SysctlEntry::new("kernel.sysrq", "0\nkernel.modules_disabled = 1"))
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "sysctl[0].value");
    /// ```
    pub fn push(mut self, entry: SysctlEntry) -> Result<Self> {
        let at = self.entries.len();
        entry.check(at)?;
        if self.entries.iter().any(|e| e.key == entry.key) {
            return Err(Error::invalid(
                format!("sysctl[{at}].key"),
                "the key is set twice",
            ));
        }
        self.entries.push(entry);
        Ok(self)
    }

    /// The settings in order.
    pub fn entries(&self) -> &[SysctlEntry] {
        &self.entries
    }

    /// The value set for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }

    /// True when a conntrack key needs `nf_conntrack` loaded at boot.
    pub fn needs_conntrack_module(&self) -> bool {
        self.entries.iter().any(SysctlEntry::needs_conntrack)
    }

    /// `/etc/sysctl.d/99-hardening.conf` (mode 0644).
    pub fn render(&self) -> RenderedFile {
        let mut out = String::from(
            "# Kernel hardening, rendered by hardening-model.\n\
             # Per-network-namespace keys (net.ipv4.tcp_*, net.ipv4.conf.*) apply to the host's\n\
             # namespace only: containers start with kernel defaults.\n",
        );
        if self.needs_conntrack_module() {
            out.push_str(&format!(
                "# net.netfilter.nf_conntrack_* need the module loaded first: {CONNTRACK_MODULES_LOAD_PATH}\n"
            ));
        }
        for e in &self.entries {
            out.push('\n');
            match (&e.exception_to, &e.anchor, &e.note) {
                (Some(against), _, Some(note)) => {
                    out.push_str(&format!("# EXCEPTION to {against}: {note}\n"));
                }
                (Some(against), _, None) => out.push_str(&format!("# EXCEPTION to {against}\n")),
                (None, Some(anchor), Some(note)) => out.push_str(&format!("# {anchor}: {note}\n")),
                (None, Some(anchor), None) => out.push_str(&format!("# {anchor}\n")),
                (None, None, Some(note)) => out.push_str(&format!("# {note}\n")),
                (None, None, None) => {}
            }
            out.push_str(&format!("{} = {}\n", e.key, e.value));
        }
        RenderedFile::root(SYSCTL_PATH, 0o644, out)
    }

    /// `/etc/modules-load.d/nf_conntrack.conf`, when a conntrack key is set.
    pub fn modules_load(&self) -> Option<RenderedFile> {
        self.needs_conntrack_module().then(|| {
            RenderedFile::root(
                CONNTRACK_MODULES_LOAD_PATH,
                0o644,
                "# Load nf_conntrack at boot so systemd-sysctl can set net.netfilter.nf_conntrack_*.\nnf_conntrack\n",
            )
        })
    }

    /// Every file: the modules-load file first (when needed), then the sysctl file.
    pub fn files(&self) -> Vec<RenderedFile> {
        self.modules_load()
            .into_iter()
            .chain(std::iter::once(self.render()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conntrack_keys_bring_the_module() {
        let p = SysctlPolicy::new()
            .push(SysctlEntry::new("net.netfilter.nf_conntrack_max", "131072"))
            .unwrap();
        let files = p.files();
        assert_eq!(files[0].path, CONNTRACK_MODULES_LOAD_PATH);
        assert!(files[0].content.ends_with("\nnf_conntrack\n"));
        let plain = SysctlPolicy::new()
            .push(SysctlEntry::new("kernel.sysrq", "0"))
            .unwrap();
        assert_eq!(plain.files().len(), 1);
    }

    #[test]
    fn rejects_bad_keys_notes_and_duplicates() {
        let bad_key = SysctlPolicy::new().push(SysctlEntry::new("kernel sysrq", "0"));
        assert_eq!(bad_key.unwrap_err().field(), "sysctl[0].key");
        let bad_note = SysctlPolicy::new().push(SysctlEntry::anchored(
            "kernel.sysrq",
            "0",
            "x",
            "a\nkernel.sysrq = 1",
        ));
        assert_eq!(bad_note.unwrap_err().field(), "sysctl[0].note");
        let dup = SysctlPolicy::new()
            .push(SysctlEntry::new("kernel.sysrq", "0"))
            .unwrap()
            .push(SysctlEntry::new("kernel.sysrq", "1"));
        assert_eq!(dup.unwrap_err().field(), "sysctl[1].key");
    }

    #[test]
    fn core_pattern_pipe_is_accepted() {
        let p = SysctlPolicy::new()
            .push(SysctlEntry::new("kernel.core_pattern", "|/bin/false"))
            .unwrap();
        assert!(
            p.render()
                .content
                .ends_with("\nkernel.core_pattern = |/bin/false\n")
        );
    }
}
