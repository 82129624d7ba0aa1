//! Where to put command output the audit reads in addition to files.
//!
//! Some checklist lines are decided best by asking the running system. The audit never runs
//! commands; instead, an operator (or a collection script) saves the output at these paths in
//! the audited tree, and the audit prefers it over the configuration files:
//!
//! ```sh
//! mkdir -p /run/hardening-audit
//! sshd -T > /run/hardening-audit/sshd-T.txt
//! ufw status verbose > /run/hardening-audit/ufw-status.txt
//! iptables -S DOCKER-USER > /run/hardening-audit/iptables-docker-user.txt
//! cat /proc/self/mounts > /run/hardening-audit/mounts.txt
//! ```

/// Directory holding the captures.
pub const DIR: &str = "/run/hardening-audit";
/// Output of `sshd -T` (the effective sshd configuration).
pub const SSHD_T: &str = "/run/hardening-audit/sshd-T.txt";
/// Output of `ufw status verbose`.
pub const UFW_STATUS: &str = "/run/hardening-audit/ufw-status.txt";
/// Output of `iptables -S DOCKER-USER`.
pub const IPTABLES_DOCKER_USER: &str = "/run/hardening-audit/iptables-docker-user.txt";
/// The live mount table (`cat /proc/self/mounts`).
pub const MOUNTS: &str = "/run/hardening-audit/mounts.txt";
