//! The runbook's Appendix B checklist: one [`Check`] per line.

use std::fmt;

use serde::Serialize;

/// How bad a failure of a check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Direct path to compromise (remote root, password guessing, container escape).
    Critical,
    /// Weakens a main defence layer.
    High,
    /// Defence in depth, detection or recovery.
    Medium,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
        })
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `ssh.root-login`.
    pub id: &'static str,
    /// The checklist line, e.g. `SSH: Root login disabled`.
    pub title: &'static str,
    /// How bad a failure is.
    pub severity: Severity,
    /// The runbook section the requirement comes from, e.g. `3.1`.
    pub section: &'static str,
}

const fn check(
    id: &'static str,
    title: &'static str,
    severity: Severity,
    section: &'static str,
) -> Check {
    Check {
        id,
        title,
        severity,
        section,
    }
}

use Severity::{Critical, High, Medium};

/// Every check, in the order of the runbook's Appendix B, with `os.mounts` (section 2.4, which
/// the checklist leaves out) among the OS lines.
pub const CHECKS: &[Check] = &[
    check(
        "ssh.ed25519-only",
        "SSH: Only Ed25519 keys accepted",
        High,
        "3.1",
    ),
    check(
        "ssh.root-login",
        "SSH: Root login disabled",
        Critical,
        "3.1",
    ),
    check(
        "ssh.password-auth",
        "SSH: Password auth disabled",
        Critical,
        "3.1",
    ),
    check("ssh.log-level", "SSH: LogLevel is VERBOSE", Medium, "3.1"),
    check(
        "firewall.ufw",
        "Firewall: UFW enabled with correct rules",
        Critical,
        "4.1",
    ),
    check(
        "firewall.docker-user",
        "Firewall: Docker DOCKER-USER chain restricts external access",
        High,
        "4.3",
    ),
    check(
        "firewall.hetzner",
        "Firewall: Hetzner Cloud Firewall applied",
        High,
        "1.4",
    ),
    check(
        "docker.daemon",
        "Docker: daemon.json has no-new-privileges, userns-remap",
        Critical,
        "5.1",
    ),
    check(
        "docker.socket",
        "Docker: No containers mount docker.sock",
        Critical,
        "5.4",
    ),
    check(
        "docker.limits",
        "Docker: All containers have resource limits",
        High,
        "5.2",
    ),
    check("docker.icc", "Docker: icc is false", High, "5.1"),
    check(
        "os.sysctl",
        "OS: Kernel parameters match hardening spec",
        High,
        "2.2",
    ),
    check(
        "os.apparmor",
        "OS: AppArmor is enforcing for all containers",
        High,
        "2.3",
    ),
    check(
        "os.auditd",
        "OS: auditd is running with correct rules",
        High,
        "2.5",
    ),
    check(
        "os.mounts",
        "OS: /tmp, /var/tmp, /dev/shm noexec and /proc hidepid (live)",
        High,
        "2.4",
    ),
    check(
        "os.unattended-upgrades",
        "OS: unattended-upgrades is enabled",
        High,
        "2.6",
    ),
    check(
        "os.chrony",
        "OS: chrony is syncing time correctly",
        Medium,
        "2.7",
    ),
    check(
        "os.services",
        "OS: No unnecessary services running",
        Medium,
        "2.8",
    ),
    check("caddy.tls13", "Caddy: TLS 1.3 only", High, "6.1"),
    check(
        "caddy.headers",
        "Caddy: Security headers present and correct",
        High,
        "6.2",
    ),
    check(
        "caddy.admin-off",
        "Caddy: Admin API is disabled",
        High,
        "6.5",
    ),
    check(
        "cloudflare.ssl-strict",
        "Cloudflare: SSL mode is Full (Strict)",
        High,
        "7.4",
    ),
    check(
        "cloudflare.waf",
        "Cloudflare: WAF rules are enabled",
        High,
        "7.1",
    ),
    check(
        "cloudflare.origin-hidden",
        "Cloudflare: Origin IP is not exposed",
        High,
        "7.8",
    ),
    check("backup.daily", "Backups: Running daily", High, "9.1"),
    check(
        "backup.encrypted",
        "Backups: Encrypted at rest",
        High,
        "9.2",
    ),
    check(
        "backup.verified",
        "Backups: Last verification passed",
        Medium,
        "9.3",
    ),
    check(
        "monitoring.node-exporter",
        "Monitoring: node_exporter running",
        Medium,
        "8.1",
    ),
    check(
        "monitoring.ids",
        "Monitoring: Falco or Wazuh running",
        Medium,
        "8.3",
    ),
    check(
        "monitoring.alerts",
        "Monitoring: Alert routes configured and tested",
        Medium,
        "8.6",
    ),
];

/// Looks a check up by id.
///
/// ```
/// let check = hardening_model::audit::check_by_id("ssh.root-login").unwrap();
/// assert_eq!(check.section, "3.1");
/// ```
pub fn check_by_id(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_cover_appendix_b() {
        let mut ids: Vec<_> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
        // Appendix B's 29 lines, and the mount options of section 2.4, which the checklist
        // leaves out although the runbook hardens them.
        assert_eq!(CHECKS.len(), 30, "Appendix B has 29 lines, plus os.mounts");
    }
}
