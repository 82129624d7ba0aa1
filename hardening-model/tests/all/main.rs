//! Integration tests for hardening-model: each policy rendered to its real config format and checked
//! by the real tool that consumes it, the audit, and property tests. One binary for the crate (one
//! module per area), so CI links it once.

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod audit_baseline;
#[cfg(feature = "host-files")] // `audit::DirHost` reads the fixture host trees
mod audit_checks;
mod audit_proptest;
mod audit_sshd_real;
mod baseline_artifacts;
mod caddy_origin_pull;
mod caddy_render;
mod converge_manifest;
mod docker_apparmor;
mod docker_compose;
mod docker_daemon;
mod docker_seccomp;
mod firewall_adversarial;
mod firewall_metadata;
mod firewall_ssh_port;
mod firewall_validators;
mod host_proptest;
mod host_render;
mod host_validators;
mod monitoring_central;
mod monitoring_rules;
mod monitoring_servers;
mod sshd_cert_login;
mod sshd_proptest;
mod sshd_render;
mod sshd_validators;
mod stack_presets;
