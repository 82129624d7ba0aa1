//! Typed host-hardening policies for Ubuntu 24.04 VPS hosts, rendered to the real config formats.
//!
//! A host's security is described once, as plain policy values, and every artifact is derived
//! from that one description so the layers can never disagree: the SSH port that sshd listens on
//! is the port ufw, nftables and the Hetzner firewall open; Cloudflare's ranges are the ones the
//! Hetzner firewall and Caddy's allow-list trust.
//!
//! The crate does no network I/O, and no file I/O except `audit::DirHost`, which reads a host's
//! files for the audit and sits behind the feature `host-files` (on by default); with
//! `default-features = false` the crate is pure, apart from `sshd::CaSigningKey`, which reads the
//! system clock and the operating system's random source to sign certificates. Constructors validate their input and return [`Error`] naming the
//! offending field; renderers are pure functions from a policy to text (usually a
//! [`RenderedFile`] carrying its target path and mode).
//!
//! Modules, by runbook area:
//! - [`firewall`]: one `FirewallPolicy` rendered to ufw commands, an nftables ruleset,
//!   DOCKER-USER rules and Hetzner firewall rule values (sections 1.4, 4.1-4.5).
//! - [`sshd`]: `SshdPolicy` rendered to an `sshd_config.d` fragment, the socket-activation port
//!   fix and an admin `ssh_config`, short-lived user certificates signed by the CA, and the admin
//!   key types sshd accepts (section 3).
//! - [`sysctl`], [`kernel_modules`], [`mounts`], [`auditd`], [`unattended_upgrades`],
//!   [`chrony`], [`services`]: the host baseline (section 2).
//! - [`docker`]: `daemon.json`, compose service hardening, seccomp and AppArmor (section 5).
//! - [`caddy`]: the Caddyfile model (section 6).
//! - [`monitoring`]: node_exporter behind TLS and basic auth, security events as metrics, alert
//!   rules, and the central Prometheus/Alertmanager files with Appendix C routing (section 8).
//! - [`backup`]: the backup jobs' status files, read by the audit (section 9).
//! - [`presets`]: the runbook baseline with every known erratum fixed.
//! - [`audit`]: the runbook's Appendix B checklist, evaluated against rendered artifacts and host files.
//! - [`converge`]: signed desired-state bundles and the host agent that pulls and applies them.
//! - [`command`]: commands as data ([`command::HostCommand`]) and POSIX shell quoting.
//! - [`values`]: validated building blocks shared by every policy (users, paths, domains, ports).
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod command;
mod error;
mod rendered;

pub mod audit;
pub mod auditd;
pub mod backup;
pub mod caddy;
pub mod chrony;
pub mod converge;
pub mod docker;
pub mod firewall;
pub mod kernel_modules;
pub mod monitoring;
pub mod mounts;
pub mod presets;
pub mod services;
pub mod sshd;
pub mod sysctl;
pub mod unattended_upgrades;
pub mod values;

pub use error::{Error, Problem, Result};
pub use ipnet::{IpNet, Ipv4Net, Ipv6Net};
pub use rendered::RenderedFile;
