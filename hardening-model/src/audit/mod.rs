//! The runbook's Appendix B security checklist as code.
//!
//! Each checklist line is a [`Check`] (id, title, severity, runbook section), listed in
//! [`CHECKS`]. [`audit`] evaluates all of them against a [`HostFiles`] source and returns a
//! [`Report`] with one [`Finding`] per check: [`Status::Pass`], [`Status::Fail`] or
//! [`Status::Unknown`], the reason, and the files it was decided on.
//!
//! Two sources:
//! - [`MemoryHost`]: files in memory. [`audit_rendered`] puts rendered policy artifacts
//!   ([`RenderedFile`]s) at their target paths and audits what would be deployed.
//! - `DirHost` (feature `host-files`, on by default): a directory laid out like a host's `/` (a
//!   live host with `DirHost::new("/")`, or a copy). This is the only part of the crate that
//!   reads files; without the feature the crate does no I/O.
//!
//! The readers understand the real formats: `sshd_config` with `Include` (globs) and `Match`
//! blocks, first-value-wins and case-insensitive keywords (or captured `sshd -T` output, see
//! [`captures`]); `daemon.json`; compose files in `/opt/*/` and `/srv/*/`; `sysctl.d` precedence;
//! ufw's status output, its `/etc/ufw` files or a rendered ufw script; Caddyfiles with snippets;
//! audit rules; cron files and systemd timers.
//!
//! A missing, unreadable or unparsable file never panics and never passes silently: the
//! finding says which file and why. Missing evidence is a failure where its absence means an
//! insecure default (no `daemon.json`: `icc` is on), otherwise Unknown. Lines the host's files
//! cannot show (the Hetzner firewall, Cloudflare settings, the last backup verification) are
//! Unknown with the reason.
//!
//! ```
//! use hardening_model::audit::{audit, MemoryHost, Status};
//!
//! let mut host = MemoryHost::new();
//! host.insert("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n");
//! host.insert("/etc/ssh/sshd_config.d/10-hardening.conf", "PermitRootLogin no\nPasswordAuthentication no\n");
//! let report = audit(&host);
//! assert_eq!(report.finding("ssh.root-login").unwrap().status, Status::Pass);
//! // KbdInteractiveAuthentication defaults to yes:
//! assert_eq!(report.finding("ssh.password-auth").unwrap().status, Status::Fail);
//! println!("{}", report.summary);
//! ```

pub mod captures;
mod check;
mod checks;
#[cfg(feature = "host-files")]
mod dir_host;
mod host;
pub mod parse;
mod report;
mod source;

pub use check::{CHECKS, Check, Severity, check_by_id};
#[cfg(feature = "host-files")]
pub use dir_host::DirHost;
pub use report::{Finding, Report, Status, Summary};
pub use source::{FileState, HostFiles, Listing, MemoryHost};

use crate::RenderedFile;

/// What the files describe, which decides how absent evidence counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A host (or a copy of one): a missing file means the protection is missing, and fails
    /// where the default is insecure.
    Host,
    /// Rendered policy artifacts: only what the policy renders is judged; a part it does not
    /// render (backups, say) is Unknown, while a rendered file that is wrong still fails.
    Policy,
}

/// Evaluates every check in [`CHECKS`] against a host's files ([`Scope::Host`]).
pub fn audit(source: &dyn HostFiles) -> Report {
    audit_scoped(source, Scope::Host)
}

/// Evaluates every check in [`CHECKS`] against `source`, read as `scope`.
pub fn audit_scoped(source: &dyn HostFiles, scope: Scope) -> Report {
    let host = host::Host::load(source, scope);
    let findings = CHECKS
        .iter()
        .map(|check| checks::evaluate(&host, *check))
        .collect();
    Report::new(source.describe(), findings)
}

/// Evaluates every check against rendered artifacts placed at their target paths
/// ([`Scope::Policy`]): what the policy would deploy. Parts the artifacts do not cover are
/// Unknown; a covered part that is wrong fails.
pub fn audit_rendered(files: &[RenderedFile]) -> Report {
    let host = MemoryHost::from_rendered(files);
    let mut report = audit_scoped(&host, Scope::Policy);
    report.source = format!("{} rendered artifacts", files.len());
    report
}
